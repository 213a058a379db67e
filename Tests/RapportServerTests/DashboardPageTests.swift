import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// The dashboard at `/` and a survey's results page, over in-process HTTP as a signed-in browser sees them: the
/// numbers equal the metrics API's, every n links to exactly the responses it counts, the filters live in the URL,
/// an empty workspace says "no responses" and a bad filter gets a readable message, never a 500.
@Suite("Dashboard pages")
struct DashboardPageTests {
    typealias Browser = BrowserSessionTests.Browser

    /// Eight NPS answers in March 2026 from two agents and two teams, with a comment from each detractor and passive,
    /// and one in April outside the range the tests read.
    static func seed(_ http: TestHTTP, _ key: String) async throws -> String {
        let survey = try await FollowUpTests.activeSurvey(http, key, followUp: ["enabled": false])
        let answers: [(Int, String, String, String, String)] = [
            (10, "sam", "blue", "import", "2026-03-02T09:00:00Z"), (10, "sam", "blue", "api", "2026-03-03T09:00:00Z"),
            (9, "sam", "blue", "import", "2026-03-04T09:00:00Z"), (6, "sam", "red", "import", "2026-03-08T23:59:00Z"),
            (3, "kim", "red", "import", "2026-03-05T09:00:00Z"), (8, "kim", "red", "api", "2026-03-06T09:00:00Z"),
            (10, "sam", "blue", "import", "2026-03-17T09:00:00Z"), (0, "kim", "red", "import", "2026-03-18T09:00:00Z"),
            (10, "sam", "blue", "import", "2026-04-20T09:00:00Z"),
        ]
        for (index, (score, agent, team, channel, date)) in answers.enumerated() {
            var answer: [String: Any] = ["score": score]
            if score <= 8 { answer["reason"] = "Reason <\(index)> & more" }
            let reply = try await http.call(.post, "/api/v1/surveys/\(survey)/responses", key: key, json: [
                "email": "p\(index)@example.com", "answers": answer, "attributes": ["agent": agent, "team": team],
                "submitted_at": date, "channel": channel])
            #expect(reply.status == .created, "\(reply.text)")
        }
        return survey
    }

    /// The value of `attribute` on the element with `data-testid="testid"`.
    static func attribute(_ attribute: String, testid: String, in html: String) -> String? {
        guard let tag = html.range(of: "data-testid=\"\(testid)\"") else { return nil }
        let start = html[..<tag.lowerBound].lastIndex(of: "<") ?? tag.lowerBound
        let element = html[start...].prefix { $0 != ">" }
        guard let found = element.range(of: " \(attribute)=\"") else { return nil }
        return String(element[found.upperBound...].prefix { $0 != "\"" })
    }

    /// A link's href as the browser follows it (entities decoded, fragment dropped).
    static func href(_ raw: String) -> String {
        String(raw.replacingOccurrences(of: "&amp;", with: "&").prefix { $0 != "#" })
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    static func estimate(_ reply: TestHTTP.Reply) -> [String: Any]? {
        (reply.json["overall"] as? [String: Any])?["estimate"] as? [String: Any]
    }

    @Test func theDashboardShowsTheAPIsNumbersAndEachNLinksToTheResponsesItCounts() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let survey = try await Self.seed(http, acme.adminKey)
            var browser = Browser(http: http)
            try await browser.signIn()

            let page = try await browser.request(.get, "/?from=2026-03-01&to=2026-03-31&interval=week")
            #expect(page.status == .ok, "\(page.text)")
            let api = try await http.get("/api/v1/metrics/nps?from=2026-03-01&to=2026-03-31&interval=week&group_by=agent", key: acme.adminKey)
            let expected = try #require(Self.estimate(api), "\(api.text)")
            let shown = try #require(Self.attribute("data-value", testid: "tile-nps-value", in: page.text), "\(page.text)")
            #expect(abs((Double(shown) ?? .nan) - (expected["value"] as? Double ?? .nan)) < 1e-9)
            #expect(page.text.contains("data-testid=\"tile-nps-n\">n = \(expected["n"] as? Int ?? -1)</a>"))
            #expect(expected["n"] as? Int == 8)
            // The interval as the API gives it, rounded as the tile writes it.
            let low = try #require(expected["low"] as? Double), high = try #require(expected["high"] as? Double)
            let interval = "95 % interval \(ChartNumber.text(low)) to \(ChartNumber.text(high))"
            #expect(page.text.contains(interval), "\(interval)")
            #expect(page.text.contains("small sample"))
            // A sparkline and a trend chart with its band, accessible images drawn on the server.
            #expect(page.text.contains("id=\"nps-spark-title\"") && page.text.contains("id=\"nps-trend-chart-title\">NPS by week</title>"))
            // Weeks of 2 and 16 March (of six from Monday 23 Feb) have responses, the others none: each a lone period with its whisker.
            #expect(page.text.contains("class=\"chart-whisker\""))
            #expect(page.text.contains("6 weeks, 2 with responses"))
            // No CSAT or CES survey: no value, and no 0 either.
            #expect(page.text.contains("No survey asks for CSAT yet.") && Self.attribute("data-value", testid: "tile-csat-value", in: page.text) == nil)

            // The breakdown by agent equals the API's groups.
            for group in try #require(api.json["groups"] as? [[String: Any]]) {
                let value = try #require((group["estimate"] as? [String: Any])?["value"] as? Double)
                let row = try #require(page.text.range(of: "<th scope=\"row\">\(group["label"] as? String ?? "?")</th>"), "\(group)")
                let cell = try #require(page.text[row.upperBound...].range(of: "data-value=\""))
                let shownValue = Double(String(page.text[cell.upperBound...].prefix { $0 != "\"" }))
                #expect(abs((shownValue ?? .nan) - value) < 1e-9, "\(group)")
            }
            // Latest comments, escaped, with their score.
            #expect(page.text.contains("Reason &lt;7&gt; &amp; more") && !page.text.contains("Reason <7>"))

            // The tile's n opens the survey's responses under the same filters: the same 8.
            let link = Self.href(try #require(Self.attribute("href", testid: "tile-nps-n", in: page.text)))
            #expect(link.hasPrefix("/surveys/\(survey)?status=completed&scored=true&from=2026-03-01T00%3A00%3A00.000Z"), "\(link)")
            let responses = try await browser.request(.get, link)
            #expect(responses.status == .ok)
            #expect(responses.text.contains("data-testid=\"response-count\">8</strong>"), "\(responses.text)")
            #expect(Self.count("<tr><td><time", in: responses.text) == 8)

            // A group's n opens that group's responses: Kim's 3.
            let kimRow = try #require(page.text.range(of: "<th scope=\"row\">kim</th>"))
            let kimLinkStart = try #require(page.text[kimRow.upperBound...].range(of: "<a href=\""))
            let kimLink = Self.href(String(page.text[kimLinkStart.upperBound...].prefix { $0 != "\"" }))
            #expect(kimLink.contains("agent=kim"))
            let kim = try await browser.request(.get, kimLink)
            #expect(kim.text.contains("data-testid=\"response-count\">3</strong>"), "\(kimLink)")
        }
    }

    @Test func filtersRoundTripInTheURLAndTheBreakdownSortsByValueOrN() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let survey = try await Self.seed(http, acme.adminKey)
            var browser = Browser(http: http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/?from=2026-03-01&to=2026-03-31&survey=\(survey)&channel=import&by=team&sort=value")
            #expect(page.status == .ok, "\(page.text)")
            #expect(page.text.contains("<option value=\"\(survey)\" selected>") && page.text.contains("<option value=\"import\" selected>"))
            #expect(page.text.contains("<option value=\"team\" selected>") && page.text.contains("value=\"2026-03-01\""))
            // The sort links keep every filter and flip the order; the value column is sorted ascending now.
            let sortN = Self.href(try #require(Self.attribute("href", testid: "nps-by-team-sort-n", in: page.text)))
            #expect(sortN == "/?from=2026-03-01&to=2026-03-31&survey=\(survey)&channel=import&by=team&sort=-n")
            #expect(page.text.contains("aria-sort=\"ascending\"><a href=\"/?from=2026-03-01&amp;to=2026-03-31&amp;survey=\(survey)&amp;channel=import&amp;by=team&amp;sort=-value"))
            // Import only: red (6, 3, 0 → NPS −100, n 3) before blue (10, 9, 10 → 100, n 3) by value ascending.
            let red = try #require(page.text.range(of: "<th scope=\"row\">red</th>")), blue = try #require(page.text.range(of: "<th scope=\"row\">blue</th>"))
            #expect(red.lowerBound < blue.lowerBound)
            let api = try await http.get("/api/v1/metrics/nps?from=2026-03-01&to=2026-03-31&survey=\(survey)&group_by=team", key: acme.adminKey)
            #expect(Self.estimate(api)?["n"] as? Int == 8, "the API has no channel filter: all 8; the page with import shows 6")
            #expect(page.text.contains("data-testid=\"tile-nps-n\">n = 6</a>"))
            let descending = try await browser.request(.get, sortN.replacingOccurrences(of: "sort=-n", with: "sort=-value"))
            let red2 = try #require(descending.text.range(of: "<th scope=\"row\">red</th>")), blue2 = try #require(descending.text.range(of: "<th scope=\"row\">blue</th>"))
            #expect(blue2.lowerBound < red2.lowerBound)
            // The breakdown's own form carries the filters along.
            #expect(page.text.contains("<input type=\"hidden\" name=\"channel\" value=\"import\">"))
            // Printed, the view says what it shows in one line (the print stylesheet hides the forms and navigation).
            let summary = try #require(page.text.range(of: "data-testid=\"view-summary\">Showing 1 Mar 2026 to 31 Mar 2026 · survey "))
            #expect(page.text[summary.upperBound...].prefix(200).contains(" · all customers · channel import.</p>"), "\(page.text)")
            #expect(page.text.contains("<button type=\"button\" class=\"secondary\" data-print hidden>Print this view</button>"))
            let css = try await browser.request(.get, "/static/app.css")
            #expect(css.text.contains("@media print") && css.text.contains(".print-only { display: block; }"))
        }
    }

    @Test func anEmptyWorkspaceSaysNoResponsesAndAnAgentSeesTheDashboard() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            _ = try await FollowUpTests.addAgent(services, acme, email: "agent@acme.test")
            var owner = Browser(http: http)
            try await owner.signIn()
            let empty = try await owner.request(.get, "/")
            #expect(empty.status == .ok)
            for metric in ["NPS", "CSAT", "CES"] { #expect(empty.text.contains("No survey asks for \(metric) yet.")) }
            #expect(!empty.text.contains("data-value=\""), "no figure at all, not 0")
            #expect(empty.text.contains("No responses in this range") && empty.text.contains("No comments in this range."))
            #expect(empty.text.contains("data-testid=\"follow-ups-open\">0</span>"))

            _ = try await Self.seed(http, acme.adminKey)
            var agent = Browser(http: http)
            try await agent.signIn("agent@acme.test")
            let seen = try await agent.request(.get, "/?from=2026-03-01&to=2026-03-31")
            #expect(seen.status == .ok && seen.text.contains("data-testid=\"tile-nps-value\""), "\(seen.text)")
        }
    }

    /// The workspace cards count the members and, for an admin, the API keys that still work (a revoked key is not
    /// counted); an agent sees the members but no API keys card.
    @Test func theWorkspaceCardsCountMembersAndWorkingKeys() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            _ = try await FollowUpTests.addAgent(services, acme, email: "agent@acme.test")
            _ = try await acme.key(services, scope: .read)
            let owner = try await services.access.authenticate(apiKey: acme.adminKey)
            let (revoked, _) = try await services.apiKeys.create(owner, workspaceId: acme.workspace.id, name: "old", scope: .track)
            try await services.apiKeys.revoke(owner, id: revoked.id)
            var browser = Browser(http: http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/")
            #expect(page.text.contains("data-testid=\"member-count\">2</p>"), "owner and agent")
            #expect(page.text.contains("data-testid=\"active-key-count\">2</p>"), "the admin and read keys, not the revoked one")
            var agent = Browser(http: http)
            try await agent.signIn("agent@acme.test")
            let seen = try await agent.request(.get, "/")
            #expect(seen.text.contains("data-testid=\"member-count\">2</p>"))
            #expect(!seen.text.contains("active-key-count"))
        }
    }

    @Test(arguments: [
        ("/?from=2026-13-45", "The start date must be a date like 2026-03-14."),
        ("/?from=2026-03-31&to=2026-03-01", "The start date must be on or before the end date."),
        ("/?channel=fax", "The channel must be one of"),
        ("/?range=7", "The period must be the last 30, 90 or 365 days"),
        ("/?sort=sideways", "Sort by value or by n."),
        ("/?survey=not-a-survey", "Choose a survey from the list."),
        ("/?survey=0193d8a0-0000-7000-8000-000000000000", "does not exist in this workspace"),
        ("/?segment=0193d8a0-0000-7000-8000-000000000000", "does not exist in this workspace"),
        ("/?from=2020-01-01&to=2026-03-31&interval=day", "at most 400 periods"),
    ])
    func aBadFilterGetsAReadableMessageNotAnError(uri: String, message: String) async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            _ = try await Self.seed(http, acme.adminKey)
            var browser = Browser(http: http)
            try await browser.signIn()
            let page = try await browser.request(.get, uri)
            #expect([HTTPResponse.Status.badRequest, .notFound, .unprocessableContent].contains(page.status), "\(page.status)")
            #expect(page.text.contains("data-testid=\"filter-error\"") && page.text.contains(message), "\(page.text)")
            #expect(page.text.contains("id=\"apply-filters\""), "the form is there to fix it")
        }
    }

    /// With sharing off (DASHBOARD_CACHE_SECONDS=0, as the other tests run) the dashboard is counted for every request;
    /// with it on, a slow view (here: every view, DASHBOARD_CACHE_AFTER_MILLIS=0) is shared for a minute and says when
    /// it was counted, while the API counts afresh. (A fast view is never kept: SnapshotCacheTests.)
    @Test func aSlowViewIsSharedForAWhileAndSaysWhenItWasCounted() async throws {
        for keeps in [false, true] {
            try await TestApp.run(configure: { config in
                if keeps { (config.dashboardCache.maxAgeMillis, config.dashboardCache.slowerThanMillis) = (60_000, 0) }
            }) { http, services in
                let acme = try await Fixture.make(services)
                let survey = try await Self.seed(http, acme.adminKey)
                var browser = Browser(http: http)
                try await browser.signIn()
                let view = "/?from=2026-03-01&to=2026-03-31"
                let before = try await browser.request(.get, view)
                #expect(before.text.contains("data-testid=\"tile-nps-n\">n = 8</a>"))
                #expect(before.text.contains("data-testid=\"counted-at\"") == keeps, "\(keeps)")
                if keeps { #expect(before.text.contains("recounted in the background once it is over a minute old")) }
                let reply = try await http.call(.post, "/api/v1/surveys/\(survey)/responses", key: acme.adminKey, json: [
                    "email": "late@example.com", "answers": ["score": 10], "submitted_at": "2026-03-20T09:00:00Z", "channel": "api"])
                #expect(reply.status == .created, "\(reply.text)")
                let api = try await http.get("/api/v1/metrics/nps?from=2026-03-01&to=2026-03-31", key: acme.adminKey)
                #expect(Self.estimate(api)?["n"] as? Int == 9)
                let after = try await browser.request(.get, view)
                #expect(after.text.contains("data-testid=\"tile-nps-n\">n = \(keeps ? 8 : 9)</a>"), "\(keeps)")
                // Another view (other filters) is counted on its own.
                let other = try await browser.request(.get, view + "&channel=api")
                #expect(other.text.contains("data-testid=\"tile-nps-n\">n = 3</a>"), "\(keeps)")
                // A kept view keeps its filter form too: each view with its own choices, the survey among the options.
                #expect(after.text.contains("id=\"apply-filters\"") && after.text.contains("<option value=\"\(survey)\">"), "\(keeps)")
                #expect(other.text.contains("<option value=\"api\" selected>api</option>"), "\(keeps)")
                #expect(!after.text.contains("<option value=\"api\" selected>"), "\(keeps)")
                #expect(after.text.contains("data-testid=\"active-key-count\""), "\(keeps)")
                // The owner's kept view holds the head counts an admin sees; an agent's page has its own (no keys).
                let added = try await http.call(.post, "/api/v1/users", key: acme.adminKey,
                                                json: ["email": "agent@acme.test", "role": "agent", "password": "long enough pw"])
                #expect(added.status == .created, "\(added.text)")
                let globex = try await Fixture.make(services, name: "Globex", ownerEmail: "owner@globex.test")
                _ = try await services.team.add(nil, workspaceId: globex.workspace.id, email: "agent@acme.test", role: .agent,
                                                name: nil, password: nil)
                var agent = Browser(http: http)
                try await agent.signIn("agent@acme.test", password: "long enough pw")
                let seen = try await agent.request(.get, view)
                #expect(seen.text.contains("data-testid=\"tile-nps-n\">n = \(keeps ? 8 : 9)</a>"), "\(keeps)")
                #expect(seen.text.contains("data-testid=\"member-count\">2</p>"), "\(keeps)")
                #expect(!seen.text.contains("active-key-count"), "\(keeps)")
                // The workspace switcher (read with the session) offers the agent's other workspace.
                #expect(seen.text.contains("Globex"), "\(keeps)")
            }
        }
    }

    @Test func aSurveysResultsShowItsMetricTrendAndBreakdownsUnderTheFilters() async throws {
        try await TestApp.run(configure: TestApp.withoutScheduledSegmentRefresh) { http, services in
            let acme = try await Fixture.make(services)
            let survey = try await Self.seed(http, acme.adminKey)
            var browser = Browser(http: http)
            try await browser.signIn()
            let surveyPage = try await browser.request(.get, "/surveys/\(survey)")
            #expect(surveyPage.text.contains("href=\"/surveys/\(survey)/results\""))
            let page = try await browser.request(.get, "/surveys/\(survey)/results?from=2026-03-01&to=2026-03-31&sort=value")
            #expect(page.status == .ok, "\(page.text)")
            let api = try await http.get("/api/v1/metrics/nps?survey=\(survey)&from=2026-03-01&to=2026-03-31", key: acme.adminKey)
            let shown = try #require(Self.attribute("data-value", testid: "tile-nps-value", in: page.text))
            #expect(abs((Double(shown) ?? .nan) - (Self.estimate(api)?["value"] as? Double ?? .nan)) < 1e-9)
            for grouping in ["agent", "team", "channel", "touchpoint", "segment"] {
                #expect(page.text.contains("id=\"results-nps-by-\(grouping)\""), "\(grouping)")
            }
            #expect(page.text.contains("id=\"results-nps-trend-chart-title\""))
            // By channel: the api row links to the 2 responses that came through the API.
            let apiRow = try #require(page.text.range(of: "<th scope=\"row\">api</th>"))
            let linkStart = try #require(page.text[apiRow.upperBound...].range(of: "<a href=\""))
            let link = Self.href(String(page.text[linkStart.upperBound...].prefix { $0 != "\"" }))
            #expect(link.contains("channel=api"))
            let responses = try await browser.request(.get, link)
            #expect(responses.text.contains("data-testid=\"response-count\">2</strong>"), "\(link)")
            // The touchpoint is absent from these responses: one "(none)" group without a link.
            #expect(page.text.contains("<th scope=\"row\">(none)</th>"))

            // By segment: "Loyal" holds p0–p2 (scores 10, 10, 9 in March); its row shows NPS 100 of 3 and links to them.
            let made = try await http.call(.post, "/api/v1/segments", key: acme.adminKey, json: [
                "name": "Loyal", "rule": ["all": [["field": "trait.tier", "op": "eq", "value": "nobody"]]]])
            let segmentId = try #require(made.string("id"), "\(made.text)")
            // The customers who answered on 2 to 4 March (p0–p2 of the seed).
            let listed = try await http.get("/api/v1/surveys/\(survey)/responses?limit=100", key: acme.adminKey)
            let members = listed.data.filter { row in
                ["2026-03-02", "2026-03-03", "2026-03-04"].contains { (row["submitted_at"] as? String)?.hasPrefix($0) == true }
            }.compactMap { $0["customer_id"] as? String }
            #expect(members.count == 3, "\(listed.text)")
            let (workspaceId, loyalMembers) = (acme.workspace.id, members)
            try await services.core.store.write { repos in
                try await repos.segments.addMembers(workspaceId: workspaceId, segmentId: segmentId, loyalMembers, at: 0)
            }
            let bySegment = try await browser.request(.get, "/surveys/\(survey)/results?from=2026-03-01&to=2026-03-31")
            let sectionStart: Range<String.Index> = try #require(bySegment.text.range(of: "id=\"results-nps-by-segment\""))
            let section = String(bySegment.text[sectionStart.lowerBound...].prefix(4_000))
            let loyal = try #require(section.range(of: "<th scope=\"row\">Loyal</th>"), "\(section)")
            let loyalLink = try #require(section[loyal.upperBound...].range(of: "<a href=\""))
            let segmentLink = Self.href(String(section[loyalLink.upperBound...].prefix { $0 != "\"" }))
            #expect(segmentLink.contains("segment=\(segmentId)"), "\(segmentLink)")
            #expect(section.contains("<th scope=\"row\">(none)</th>"))
            let segmentResponses = try await browser.request(.get, segmentLink)
            #expect(segmentResponses.text.contains("data-testid=\"response-count\">3</strong>"), "\(segmentLink)")

            let bad = try await browser.request(.get, "/surveys/\(survey)/results?sort=bogus")
            #expect(bad.status == .unprocessableContent && bad.text.contains("Sort by value or by n."))
            let badList = try await browser.request(.get, "/surveys/\(survey)?scored=maybe")
            #expect(badList.status == .badRequest && badList.text.contains("scored must be true or false."), "\(badList.status)")
            let team = try await browser.request(.get, "/surveys/\(survey)?team=red&status=completed")
            #expect(team.text.contains("data-testid=\"response-count\">4</strong>"))
        }
    }
}

/// Numbers as the pages write an NPS interval: no decimals, a real minus sign.
enum ChartNumber {
    static func text(_ value: Double) -> String {
        let text = String(format: "%.0f", abs(value))
        return value < 0 && Double(text) != 0 ? "−" + text : text
    }
}
