import Foundation
import Hummingbird
import RapportCore
import RapportWeb

/// The dashboard at `/` and a survey's results at `/surveys/:survey_id/results`: the survey metrics with their
/// intervals, trends and breakdowns under the filters in the URL. Mounted on the session group; the metric service
/// checks the read permission. A filter that does not fit is shown as a message on the page (400, 404 or 422), not
/// as an error page.
struct DashboardPages: Sendable {
    let metrics: SurveyMetricService
    let surveys: SurveyService
    let responses: SurveyResponseService
    let segments: SegmentService
    let followUps: FollowUpService
    let goals: CXGoalService
    let team: TeamService
    let customers: CustomerService
    let orders: OrderService
    let clock: WallClock
    let pages: PageResponder
    /// The metric part of a view that was slow to count, kept for a while per workspace, viewer's zone and filters.
    let cache: SnapshotCache<Snapshot>

    /// What the dashboard counts for a view: the filter form and the metrics' part, drawn (`FilterFormPart`,
    /// `DashboardMetricsSection`), and the headline counts. Kept drawn, a shared view costs its viewers a string, not
    /// the survey and segment lists, the charts and the templates again. The head counts are as the first viewer's
    /// role may see them (active keys for an admin only): a viewer of the other kind reads their own.
    struct Snapshot: Sendable {
        var formHTML: String
        var metricsHTML: String
        var customerCount: Int
        var repeatPurchase: RepeatPurchaseRate
        var memberCount: Int
        var activeKeyCount: Int?
        var countedForAdmin: Bool
    }

    /// At most this many surveys are read for the latest comments, and this many responses of each.
    static let commentSurveys = 20, commentResponses = 25, commentCount = 5

    func add(to group: RouterGroup<AppRequestContext>) {
        group.get("/") { request, context in try await dashboard(request, try context.requirePrincipal()) }
        group.get("/surveys/:survey_id/results") { request, context in
            try await results(request, try context.requirePrincipal(), id: try context.id("survey_id", of: "survey"))
        }
    }

    static func queryValues(_ request: Request) -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { values[String(key)] = String(value) }
        return values
    }

    /// Filter errors the page explains: a value that does not fit, a survey or segment that is not there.
    static func isFilterError(_ error: RapportError) -> Bool { [.validation, .badRequest, .notFound].contains(error.kind) }

    private func dashboard(_ request: Request, _ principal: Principal) async throws -> Response {
        let zone = principal.displayZone, now = clock.nowMillis
        let readsData = principal.role.satisfies(Permission.readData.leastRole)
        var filter = MetricFilter()
        var message: String?
        var status = HTTPResponse.Status.ok
        do {
            filter = try MetricFilter.parse(Self.queryValues(request), now: now, timeZone: zone)
        } catch {
            (message, status) = (error.message, error.kind.status)
        }
        var snapshot: SnapshotCache<Snapshot>.Snapshot?
        if message == nil, readsData {
            do {
                let key = [principal.workspaceId, zone.identifier, filter.url(WebURL.home)].joined(separator: " ")
                snapshot = try await cache.value(for: key) { [self, filter] in
                    let (surveyList, segmentList) = try await filterLists(principal, readsData: true)
                    let part = try await metricsPart(principal, filter: filter, surveyList: surveyList, now: now)
                    let section = DashboardMetricsSection(filter: filter, surveys: surveyList, segments: segmentList, metrics: part,
                                                          timeZone: zone)
                    let (memberCount, activeKeys) = try await team.headcount(principal)
                    return Snapshot(formHTML: formHTML(filter, surveys: surveyList, segments: segmentList, timeZone: zone),
                                    metricsHTML: pages.web.render(section),
                                    customerCount: try await customers.count(principal),
                                    repeatPurchase: try await orders.repeatPurchaseRate(principal),
                                    memberCount: memberCount, activeKeyCount: activeKeys,
                                    countedForAdmin: principal.role.satisfies(.admin))
                }
            } catch let error as RapportError where Self.isFilterError(error) {
                (message, status) = (Self.filterMessage(error), error.kind.status)
            }
        }
        let form: String
        if let snapshot {
            form = snapshot.value.formHTML
        } else {
            let (surveyList, segmentList) = try await filterLists(principal, readsData: readsData)
            form = formHTML(filter, surveys: surveyList, segments: segmentList, timeZone: zone)
        }
        let (memberCount, activeKeys) = if let kept = snapshot?.value, kept.countedForAdmin == principal.role.satisfies(.admin) {
            (kept.memberCount, kept.activeKeyCount)
        } else {
            try await team.headcount(principal)
        }
        let page = DashboardPage(formHTML: form, metricsHTML: snapshot?.value.metricsHTML, error: message,
                                 timeZone: zone, memberCount: memberCount,
                                 customerCount: snapshot?.value.customerCount,
                                 repeatPurchase: snapshot?.value.repeatPurchase,
                                 activeKeyCount: activeKeys,
                                 keptSince: snapshot.flatMap { $0.isKept ? $0.asOf : nil },
                                 keptForSeconds: cache.settings.maxAgeMillis / 1_000)
        return try await pages.html(page, for: principal, status: status)
    }

    /// The surveys and segments the filters choose from (none for a role that may not read data).
    private func filterLists(_ principal: Principal, readsData: Bool) async throws -> ([Survey], [Segment]) {
        guard readsData else { return ([], []) }
        let all = PageRequest(limit: PageRequest.maxLimit)
        return (try await surveys.list(principal, status: nil, page: all).items, try await segments.list(principal, page: all).items)
    }

    private func formHTML(_ filter: MetricFilter, surveys: [Survey], segments: [Segment], timeZone: TimeZone) -> String {
        pages.web.render(FilterFormPart(FilterForm(action: WebURL.home, filter: filter, surveys: surveys, segments: segments,
                                                   timeZone: timeZone)))
    }

    /// A not-found from a filter names the filter.
    static func filterMessage(_ error: RapportError) -> String {
        guard error.kind == .notFound else { return error.message }
        return "The survey or segment in the filters does not exist in this workspace (any more): choose one from the list."
    }

    private func metricsPart(_ principal: Principal, filter: MetricFilter, surveyList: [Survey], now: Int64) async throws -> DashboardPage.Metrics {
        var part = DashboardPage.Metrics()
        var queries: [SurveyMetric: MetricQuery] = [:]
        var chosen: Survey?
        if let id = filter.surveyId { chosen = try await surveys.get(principal, id: id) }
        for metric in DashboardPage.metrics {
            let asking = surveyList.filter { Self.opens($0, with: metric) }
            if let chosen {
                guard Self.opens(chosen, with: metric) else {
                    part.notes[metric] = "\(chosen.name) does not ask for \(MetricStyle.name(metric))."
                    continue
                }
                part.surveysByMetric[metric] = [chosen.id]
            } else {
                part.surveysByMetric[metric] = asking.map(\.id)
                if asking.isEmpty { part.notes[metric] = "No survey asks for \(MetricStyle.name(metric)) yet." }
            }
            queries[metric] = filter.query(metric)
        }
        // The tiles' reports and the breakdown run side by side (each is one count in the database; SQLite reads them on
        // separate connections, PostgreSQL on separate backends), then the goals, comments and follow-ups.
        let breakdownQuery = queries[filter.metric] == nil
            ? nil : filter.query(filter.metric, groupBy: try MetricGrouping(parameter: filter.by), trend: false)
        let metrics = self.metrics
        try await withThrowingTaskGroup(of: (SurveyMetric?, SurveyMetricService.Report).self) { group in
            for (metric, query) in queries {
                group.addTask { (metric, try await metrics.report(principal, query: query)) }
            }
            if let breakdownQuery { group.addTask { (nil, try await metrics.report(principal, query: breakdownQuery)) } }
            for try await (metric, report) in group {
                if let metric { part.reports[metric] = report } else { part.breakdown = report }
            }
        }
        part.goals = try await goals.list(principal)
        part.comments = try await latestComments(principal, filter: filter, surveys: chosen.map { [$0] } ?? surveyList)
        part.followUps = try await followUpSummary(principal, surveyId: filter.surveyId, surveyList: surveyList, now: now)
        return part
    }

    /// Whether the survey's responses (or, for the response rate, its invitations) count towards the metric.
    static func opens(_ survey: Survey, with metric: SurveyMetric) -> Bool {
        metric.questionType.map { survey.definition.questions.first?.type == $0 } ?? true
    }

    /// The latest responses with a comment under the filters: the newest few of each survey that has a text question.
    private func latestComments(_ principal: Principal, filter: MetricFilter, surveys list: [Survey]) async throws -> [CommentItem] {
        var found: [(Int64, CommentItem)] = []
        let zone = principal.displayZone
        for survey in list.filter({ $0.definition.questions.contains { $0.type == .text } }).prefix(Self.commentSurveys) {
            let query = SurveyResponseQuery(surveyId: survey.id, status: .completed, submittedFrom: filter.from, submittedBefore: filter.to,
                                            channel: filter.channel, segmentId: filter.segmentId)
            for response in try await responses.list(principal, query: query, page: PageRequest(limit: Self.commentResponses)).items {
                if let item = CommentItem(response, survey: survey, timeZone: zone) { found.append((response.submittedAt ?? 0, item)) }
            }
        }
        return found.sorted { $0.0 > $1.0 }.prefix(Self.commentCount).map(\.1)
    }

    private func followUpSummary(_ principal: Principal, surveyId: String?, surveyList: [Survey], now: Int64) async throws -> FollowUpSummary {
        let page = PageRequest(limit: PageRequest.maxLimit)
        // `dueBefore` keeps the open and contacted cases only: all of them with the largest time, the overdue with now.
        let open = try await followUps.list(principal, query: FollowUpQuery(surveyId: surveyId, dueBefore: Int64.max), page: page)
        let overdue = try await followUps.list(principal, query: FollowUpQuery(surveyId: surveyId, dueBefore: now), page: page)
        return FollowUpSummary(open: open, overdue: overdue,
                               surveyNames: Dictionary(surveyList.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a }),
                               now: now, timeZone: principal.displayZone)
    }

    private func results(_ request: Request, _ principal: Principal, id: String) async throws -> Response {
        let zone = principal.displayZone, now = clock.nowMillis
        let survey = try await surveys.get(principal, id: id)
        let segmentList = try await segments.list(principal, page: PageRequest(limit: PageRequest.maxLimit)).items
        var filter = MetricFilter()
        var message: String?
        var status = HTTPResponse.Status.ok
        do {
            var values = Self.queryValues(request)
            values["survey"] = nil
            filter = try MetricFilter.parse(values, now: now, timeZone: zone)
        } catch {
            (message, status) = (error.message, error.kind.status)
        }
        filter.surveyId = survey.id
        let metric = [SurveyMetric.nps, .csat, .ces].first { Self.opens(survey, with: $0) }
        let change = request.uri.queryParameters.get("change").flatMap { $0.isEmpty ? nil : String($0) }
        var comparison: ComparisonView?
        var overall: SurveyMetricService.Report?
        var breakdowns: [SurveyResultsPage.Breakdown] = []
        if message == nil, let metric {
            do {
                overall = try await metrics.report(principal, query: filter.query(metric))
                for grouping in SurveyResultsPage.groupings {
                    let report = try await metrics.report(principal, query: filter.query(metric, groupBy: try MetricGrouping(parameter: grouping),
                                                                                       trend: false))
                    breakdowns.append(SurveyResultsPage.Breakdown(grouping: grouping, report: report))
                }
                if let change {
                    guard let split = try? MetricFilter.day(change, field: "change", timeZone: zone).start else {
                        throw RapportError.invalid("change", "The date of the change must be a date like 2026-03-14.")
                    }
                    guard split > filter.from, split < filter.to else {
                        throw RapportError.invalid("change", "The date of the change must fall inside the dates shown, so that there is a before and an after.")
                    }
                    let result = try await metrics.compare(principal, query: filter.query(metric, trend: false),
                                                           a: .period(from: filter.from, to: split), b: .period(from: split, to: filter.to))
                    comparison = ComparisonView(metric: metric, comparison: result, change: change,
                                                fromDay: ChartText.day(filter.from, timeZone: zone),
                                                toDay: ChartText.day(filter.to - 1, timeZone: zone))
                }
            } catch let error as RapportError where Self.isFilterError(error) {
                (message, status) = (Self.filterMessage(error), error.kind.status)
            }
        }
        let page = SurveyResultsPage(survey: survey, metric: metric, filter: filter, overall: overall, breakdowns: breakdowns,
                                     segments: segmentList, error: message, timeZone: zone, change: change, comparison: comparison)
        return try await pages.html(page, for: principal, status: status)
    }
}
