import Foundation
@testable import RapportCore
import Testing

/// The widget's targeting rule: path patterns, the event and time conditions, and the contact check's dismissal rule.
@Suite("Survey widget rule")
struct SurveyWidgetRuleTests {
    @Test(arguments: [
        ("/pricing", "/pricing", true), ("/pricing", "/pricing/", true), ("/pricing/", "/pricing", true),
        ("/pricing", "/pricing/annual", false), ("/pricing", "/", false), ("/plans/*", "/plans/pro", true),
        ("/plans/*", "/plans/pro/annual", true), ("/plans/*", "/plans", false), ("/*/checkout", "/eu/checkout", true),
        ("/*/checkout", "/eu/checkout/done", false), ("*", "/anything/at/all", true), ("/a*b*c", "/axxbyyc", true),
        ("/a*b*c", "/axxbyy", false), ("/", "/", true), ("/", "/home", false),
    ])
    func pathPatterns(pattern: String, path: String, matches: Bool) {
        #expect(SurveyWidgetRule(paths: [pattern]).matches(path: path) == matches, "\(pattern) vs \(path)")
    }

    @Test func noPatternsMeansEveryPage() {
        #expect(SurveyWidgetRule().matches(path: "/whatever"))
    }

    @Test func readinessWaitsForTheEventThenTheLongerOfTheTwoTimes() {
        let rule = SurveyWidgetRule(enabled: true, event: "Checkout Completed", secondsOnPage: 10, secondsOnSite: 60)
        #expect(rule.readiness(events: [], secondsOnPage: 99, secondsOnSite: 99) == .waitingForEvent("Checkout Completed"))
        #expect(rule.readiness(events: ["Checkout Completed"], secondsOnPage: 4, secondsOnSite: 58) == .waitingSeconds(6))
        #expect(rule.readiness(events: ["Checkout Completed"], secondsOnPage: 10, secondsOnSite: 50) == .waitingSeconds(10))
        #expect(rule.readiness(events: ["Checkout Completed"], secondsOnPage: 10, secondsOnSite: 60) == .ready)
        #expect(SurveyWidgetRule(enabled: true).readiness(events: [], secondsOnPage: 0, secondsOnSite: 0) == .ready)
    }

    @Test func aRecentDismissalHoldsTheSurveyBackAfterConsentAndBeforeTheRecontactPeriod() {
        let day: Int64 = 86_400_000
        let now = 100 * day
        var settings = SurveySettings()
        settings.widget.dismissDays = 7
        let allowed = ContactPolicy.mayContact(history: [], purpose: "surveys", channel: "web")
        func verdict(dismissed: Int64?, lastSent: Int64? = nil) -> SurveyContactCheck.Verdict {
            SurveyContactCheck(rules: SurveyContactRules(recontactDays: 30), settings: settings, consent: allowed, lastSentAny: lastSent,
                               lastSentThisSurvey: lastSent, lastDismissedThisSurvey: dismissed, timeZone: nil).verdict(now: now)
        }
        guard case .suppress(.recentlyDismissed, _) = verdict(dismissed: now - 6 * day, lastSent: now - 6 * day) else {
            Issue.record("a dismissal six days ago holds back"); return
        }
        guard case .suppress(.recontactPeriod, _) = verdict(dismissed: now - 8 * day, lastSent: now - 8 * day) else {
            Issue.record("after the dismissal's period, the recontact period still counts the showing"); return
        }
        #expect(verdict(dismissed: now - 40 * day, lastSent: now - 40 * day) == .send)
    }

    @Test func settingsRoundTripThroughJSON() throws {
        var settings = SurveySettings()
        try settings.apply(["widget": ["enabled": true, "paths": ["/a", "/a", "/b/*"], "event": " Signed Up ", "seconds_on_site": 30,
                                       "position": "bottom_left", "dismiss_days": 14]])
        #expect(settings.widget == SurveyWidgetRule(enabled: true, paths: ["/a", "/b/*"], event: "Signed Up", secondsOnSite: 30,
                                                    position: .bottomLeft, dismissDays: 14))
        #expect(SurveySettings.parse(stored: settings.json) == settings)
    }
}
