import Metrics
import Prometheus

/// The process's one Prometheus registry. swift-metrics may be bootstrapped once per process, so every app
/// built in this process (tests build many) shares it.
public enum RapportMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // swift-metrics labels use dots (`http.route`); Prometheus names allow only [a-zA-Z0-9_:].
        factory.nameAndLabelSanitizer = { name, labels in
            (renamed[name] ?? sanitize(name), labels.map { (sanitize($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Hummingbird's and our own metric names, given the Prometheus unit and `_total` suffixes.
    static let renamed = [
        "hb.requests": "http_server_requests_total",
        "hb.request.errors": "http_server_request_errors_total",
        "http.server.request.duration": "http_server_request_duration_seconds",
        "http.server.active_requests": "http_server_active_requests",
        "rapport_db_acquire_duration": "rapport_db_acquire_duration_seconds",
    ]

    static func sanitize(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" ? $0 : "_" })
    }
}
