import Foundation

/// The digest email: a Mustache template filled by the outbox's renderer (so every value is escaped in the HTML
/// part) and the builders of its values. Numbers are shown as on the dashboard: NPS in points, CSAT in per cent, CES
/// as a mean on 1–7, each with its interval and n.
enum DigestEmail {
    static let content = EmailContent(
        subject: "{{data.subject}}",
        text: """
            {{data.title}}
            {{data.period}}

            Headline metrics ({{data.level}} % intervals; the change is from the {{data.previous_label}}):
            {{#data.metrics}}
            - {{name}}: {{value}}{{#interval}} ({{interval}}){{/interval}}, n = {{n}}{{#small_sample}}, small sample{{/small_sample}}. {{change}}
            {{/data.metrics}}

            Goals:
            {{#data.goals}}
            - {{name}}: {{value}} against a target of {{target}}. {{status}} {{due}}
            {{/data.goals}}
            {{^data.goals}}
            No goals yet. Set them on {{data.goals_url}}
            {{/data.goals}}

            Your overdue follow-ups: {{data.overdue_count}} (in the workspace: {{data.overdue_total}})
            {{#data.overdue}}
            - {{label}}, due {{due}}: {{url}}
            {{/data.overdue}}

            Dashboard: {{data.dashboard_url}}
            You receive this {{data.frequency}} digest because you turned it on. Change or stop it: {{data.settings_url}}
            """,
        html: """
            <!doctype html><html><body style="font-family: sans-serif; color: #1f2933;">
            <h1 style="font-size: 1.3em;">{{data.title}}</h1>
            <p>{{data.period}}</p>
            <h2 style="font-size: 1.1em;">Headline metrics</h2>
            <table style="border-collapse: collapse;">
            <tr><th style="text-align: left; padding: 4px 8px;">Metric</th><th style="text-align: left; padding: 4px 8px;">Value</th><th style="text-align: left; padding: 4px 8px;">{{data.level}} % interval</th><th style="text-align: left; padding: 4px 8px;">n</th><th style="text-align: left; padding: 4px 8px;">Change</th></tr>
            {{#data.metrics}}<tr><td style="padding: 4px 8px;">{{name}}</td><td style="padding: 4px 8px;"><strong>{{value}}</strong>{{#small_sample}} (small sample){{/small_sample}}</td><td style="padding: 4px 8px;">{{interval}}</td><td style="padding: 4px 8px;">{{n}}</td><td style="padding: 4px 8px;">{{change}}</td></tr>
            {{/data.metrics}}
            </table>
            <h2 style="font-size: 1.1em;">Goals</h2>
            {{#data.has_goals}}<ul>{{#data.goals}}<li><strong>{{name}}</strong>: {{value}} against a target of {{target}}. {{status}} {{due}}</li>{{/data.goals}}</ul>{{/data.has_goals}}
            {{^data.has_goals}}<p>No goals yet. <a href="{{data.goals_url}}">Set one</a>.</p>{{/data.has_goals}}
            <h2 style="font-size: 1.1em;">Your overdue follow-ups: {{data.overdue_count}}</h2>
            <p>In the whole workspace: {{data.overdue_total}}.</p>
            {{#data.has_overdue}}<ul>{{#data.overdue}}<li><a href="{{url}}">{{label}}</a>, due {{due}}</li>{{/data.overdue}}</ul>{{/data.has_overdue}}
            <p><a href="{{data.dashboard_url}}">Open the dashboard</a></p>
            <p style="font-size: 12px; color: #52606d;">You receive this {{data.frequency}} digest because you turned it on. <a href="{{data.settings_url}}">Change or stop it</a>.</p>
            </body></html>
            """)

    static func data(workspace: String, frequency: DigestFrequency, period: String, metrics: [JSONValue], goals: [JSONValue],
                     overdue: [FollowUpCase], overdueTotal: Int, publicURL: String, now: Int64) -> JSONValue {
        let overdueRows: [JSONValue] = overdue.prefix(10).map { item in
            ["label": .string("\(item.score.map { "Score \($0)" } ?? "Case") \(item.id.prefix(8))"),
             "due": .string(ago(item.dueAt, now: now)), "url": .string("\(publicURL)/follow-ups/\(item.id)")]
        }
        let kind = frequency == .daily ? "daily" : "weekly"
        return [
            "subject": .string("\(workspace): your \(kind) Rapport digest, \(period)"),
            "title": .string("\(workspace): \(kind) digest"), "period": .string(period), "frequency": .string(kind),
            "previous_label": .string(frequency == .daily ? "day before" : "week before"), "level": "95",
            "metrics": .array(metrics), "goals": .array(goals), "has_goals": .bool(!goals.isEmpty),
            "overdue": .array(overdueRows), "has_overdue": .bool(!overdueRows.isEmpty),
            "overdue_count": JSONValue(overdue.count), "overdue_total": JSONValue(overdueTotal),
            "dashboard_url": .string("\(publicURL)/"), "goals_url": .string("\(publicURL)/goals"),
            "settings_url": .string("\(publicURL)/goals#digest"),
        ]
    }

    /// A metric's line: its value now with interval and n, and the change from the period before with the change's own
    /// interval, read as noise or not (the comparison methods of docs/methods.md, "Comparing").
    static func metricRow(_ metric: SurveyMetric, current: Estimate?, previous: Estimate?, change difference: Comparison?) -> JSONValue {
        var change = "No answers in the period before."
        if let current, let previous {
            change = "Change: \(MetricText.difference(current.value - previous.value, metric)) (from \(MetricText.value(previous.value, metric)))"
            if let difference {
                let verdict = difference.isSignificant ? "larger than noise" : "within noise"
                change += "; 95 % interval of the change \(MetricText.difference(difference.low, metric)) to "
                    + "\(MetricText.difference(difference.high, metric)): \(verdict)."
            } else {
                change += "."
            }
        } else if current == nil {
            change = ""
        }
        var row: [String: JSONValue] = [
            "name": .string(MetricText.name(metric)), "value": .string(current.map { MetricText.value($0.value, metric) } ?? "no answers"),
            "n": JSONValue(current?.n ?? 0), "small_sample": .bool(current?.smallSample ?? false), "change": .string(change),
        ]
        // Absent rather than null: the template's section skips a missing key.
        if let text = current.flatMap({ MetricText.interval($0, metric) }) { row["interval"] = .string(text) }
        return .object(row)
    }

    static func goalRow(_ report: GoalReport) -> JSONValue {
        let goal = report.goal, progress = report.progress
        var value = progress.estimate.map { MetricText.value($0.value, goal.metric) } ?? "no value"
        if let estimate = progress.estimate, let text = MetricText.interval(estimate, goal.metric) { value += " (\(text))" }
        return ["name": .string(goal.name), "value": .string(value), "target": .string(MetricText.value(goal.target, goal.metric)),
                "status": .string(MetricText.status(progress)), "due": .string(MetricText.due(progress, dueDate: goal.dueDate))]
    }


    /// "3 days ago", "today".
    static func ago(_ millis: Int64, now: Int64) -> String {
        let days = Int((now - millis) / 86_400_000)
        return switch days {
        case ..<1: "today"
        case 1: "yesterday"
        default: "\(days) days ago"
        }
    }

    /// "23 Nov – 29 Nov 2026" for a week, "29 Nov 2026" for a day.
    static func periodLabel(from start: Date, toExclusive end: Date, calendar: Calendar) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = calendar.timeZone
        formatter.dateFormat = "d MMM yyyy"
        let last = calendar.date(byAdding: .day, value: -1, to: end) ?? end
        guard calendar.startOfDay(for: start) != calendar.startOfDay(for: last) else { return formatter.string(from: start) }
        let first = DateFormatter()
        first.locale = formatter.locale
        first.timeZone = calendar.timeZone
        first.dateFormat = "d MMM"
        return "\(first.string(from: start)) – \(formatter.string(from: last))"
    }
}
