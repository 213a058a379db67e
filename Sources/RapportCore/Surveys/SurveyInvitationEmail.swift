/// The invitation email: the survey's first question in the person's language with its scale as one link per score
/// (each opens the hosted page, which asks the person to confirm: a mail scanner's GET records nothing), a link to
/// the whole survey, and, through the outbox, the unsubscribe link that withdraws the `surveys` consent. The content
/// is a Mustache template filled by the outbox's renderer, so the survey's texts are escaped in the HTML part. The
/// HTML part opens with a header of the workspace's name on its brand colour (in the text colour `BrandColor` chose
/// for contrast), or on a light grey without one.
enum SurveyInvitationEmail {
    static let content = EmailContent(
        subject: "{{data.subject}}",
        text: """
            {{data.intro}}

            {{data.question}}
            {{#data.scores}}
            {{label}}: {{url}}
            {{/data.scores}}

            {{data.open_label}}: {{data.survey_url}}
            """,
        html: """
            <!doctype html><html><body style="font-family: sans-serif; color: #1f2933;">
            <div style="background: {{data.brand_color}}; color: {{data.brand_text_color}}; padding: 12px 16px; font-weight: bold; font-size: 1.1em;">{{data.workspace}}</div>
            <p>{{data.intro}}</p>
            <p style="font-size: 1.1em;"><strong>{{data.question}}</strong></p>
            {{#data.has_scores}}<p>{{#data.scores}}<a href="{{url}}" style="display: inline-block; min-width: 2em; padding: 0.5em; margin: 0.1em; border: 1px solid #52606d; border-radius: 4px; text-align: center; text-decoration: none; color: #1f2933;">{{label}}</a>{{/data.scores}}</p>
            <p style="font-size: 0.9em;">{{data.low}}{{#data.high}} … {{data.high}}{{/data.high}}</p>{{/data.has_scores}}
            <p><a href="{{data.survey_url}}">{{data.open_label}}</a></p>
            </body></html>
            """)

    /// The values the template reads under `data`.
    static func data(survey: Survey, language: String, workspace: Workspace, surveyURL: String, reminder: Bool) -> JSONValue {
        let definition = survey.definition
        let workspaceName = workspace.name
        var scores: [JSONValue] = []
        var low = "", high = ""
        var question = survey.name
        if let first = definition.questions.first {
            question = definition.localized(first.text, language)
            if let range = first.scoreRange {
                scores = range.map { score in
                    ["label": .string(label(first, score)), "url": .string("\(surveyURL)?score=\(score)")]
                }
                low = definition.localized(first.lowLabel, language)
                high = definition.localized(first.highLabel, language)
            }
        }
        return [
            "subject": .string(reminder ? "Reminder: \(workspaceName) would like your opinion" : "\(workspaceName) would like your opinion"),
            "intro": .string(reminder ? "A few days ago we asked you one short question. Your answer helps \(workspaceName) improve."
                             : "\(workspaceName) would like to know how we did. It takes a few seconds."),
            "question": .string(question), "scores": .array(scores), "has_scores": .bool(!scores.isEmpty),
            "low": .string(low), "high": high.isEmpty ? .null : .string(high),
            "survey_url": .string(surveyURL), "open_label": .string("Open the survey"), "workspace": .string(workspaceName),
            "brand_color": .string(workspace.brandColor?.hex ?? Self.plainHeader.background),
            "brand_text_color": .string(workspace.brandColor?.textHex ?? Self.plainHeader.text),
        ]
    }

    /// The header's colours without a brand colour (contrast 13.2:1).
    static let plainHeader = (background: "#f0f2f5", text: "#1f2933")

    /// What a score's link shows: the number, or the word for thumbs and faces.
    static func label(_ question: SurveyQuestion, _ score: Int) -> String {
        switch question.csatScale {
        case .thumbs: score == 1 ? "👎 No" : "👍 Yes"
        case .faces: ["😠", "🙁", "😐", "🙂", "😄"][score - 1]
        default: String(score)
        }
    }
}
