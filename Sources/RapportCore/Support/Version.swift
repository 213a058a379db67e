/// The running version of Rapport.
public enum RapportVersion {
    public static let current = "0.1.0"
}
