import RapportCore

/// Every table that holds a person's data, and what a merge, an erasure (GDPR Art. 17) and an export (Art. 15) do
/// with its rows. Merge (`SQLCustomerRepository.reassign`), erase (`SQLCustomerRepository.erase`) and export
/// (`CustomerService.export`, through `exportSections`) all read this list; a test fails when a table with a
/// `customer_id` column is not in it, on both databases. The profile row itself (`customers`) is not listed: a merge
/// keeps it as a forwarding row (`merged_into`) and an erasure deletes it with the forwarding rows of profiles merged
/// into it.
enum CustomerDataTables {
    /// What a merge does with the merged profile's rows.
    enum MergeRule: Equatable {
        /// The rows move to the survivor.
        case reassign
        /// The rows move to the survivor, except those whose `key` the survivor already has (a membership both
        /// profiles hold), which are deleted: the table's primary key is (workspace_id, key, customer_id).
        case reassignUnlessSurvivorHas(key: String)
        /// The search index: the merged profile's entry is removed and the survivor's rebuilt (`removeSearch` and
        /// `refreshSearch` when the merging transaction's profile writes are flushed).
        case searchIndex
        /// The rows stay as they are: they record history that names both profiles (a merge).
        case keep
    }

    /// What an erasure does with the person's rows.
    enum EraseRule: Equatable {
        case delete
        /// The rows stay with `customer_id` set to NULL: they carry no personal data and are needed for the
        /// workspace's figures and its accounting (orders: order id, currency, amounts, products).
        case anonymise
        /// The search index: the entry is removed (`deleteSearch`, which reaches FTS5 rows by rowid on SQLite).
        case searchIndex
    }

    /// Where an export shows the rows.
    enum ExportRule: Equatable {
        /// In this section of the export document.
        case section(String)
        /// Not exported: the rows repeat data another section holds, and why.
        case derived(String)
    }

    struct Table: Sendable {
        let name: String
        /// The columns naming the person (usually `customer_id`).
        let customerColumns: [String]
        let onMerge: MergeRule
        let onErase: EraseRule
        let onExport: ExportRule
        /// Tables only one dialect has (SQLite's map from profiles to full-text rowids).
        let only: DatabaseKind?

        init(_ name: String, customerColumns: [String] = ["customer_id"], merge: MergeRule, erase: EraseRule,
             export: ExportRule, only: DatabaseKind? = nil) {
            self.name = name
            self.customerColumns = customerColumns
            self.onMerge = merge
            self.onErase = erase
            self.onExport = export
            self.only = only
        }
    }

    static let all: [Table] = [
        Table("customer_identifiers", merge: .reassign, erase: .delete, export: .section("identifiers")),
        Table("trait_history", merge: .reassign, erase: .delete, export: .section("trait_history")),
        Table("activities", merge: .reassign, erase: .delete, export: .section("timeline")),
        Table("orders", merge: .reassign, erase: .anonymise, export: .section("orders")),
        Table("consents", merge: .reassign, erase: .delete, export: .section("consents")),
        Table("account_members", merge: .reassignUnlessSurvivorHas(key: "account_id"), erase: .delete,
              export: .section("accounts")),
        // Memberships are recomputed by the next refresh; until then the survivor is in the merged profile's
        // segments too (its data moved to the survivor).
        Table("segment_members", merge: .reassignUnlessSurvivorHas(key: "segment_id"), erase: .delete,
              export: .section("segments")),
        Table("customer_search", merge: .searchIndex, erase: .searchIndex,
              export: .derived("the words of the name, email, phone and identifiers, exported in their own sections")),
        Table("customer_search_keys", merge: .searchIndex, erase: .searchIndex,
              export: .derived("which full-text row holds the profile's search entry"), only: .sqlite),
        // Copies of events sent to the workspace's own systems: they follow the person to the survivor, and an
        // erasure deletes them.
        Table("webhook_deliveries", merge: .reassign, erase: .delete,
              export: .derived("copies of events about the person already sent to the workspace's own systems")),
        // The emails sent to the person (with their content): they follow the person to the survivor, are theirs to
        // see in an export, and an erasure deletes them (the suppression list keeps a bounced address, which is not
        // tied to a profile).
        Table("email_outbox", merge: .reassign, erase: .delete, export: .section("emails")),
        // What automation rules did for the person: moved to the survivor (so its limits count the merged runs),
        // deleted by an erasure.
        Table("automation_runs", merge: .reassign, erase: .delete, export: .section("automation_runs")),
        // The person's survey answers: they follow the person to the survivor (their scores count once), are theirs
        // to see in an export, and an erasure deletes them.
        Table("survey_responses", merge: .reassign, erase: .delete, export: .section("survey_responses")),
        // Every ask of the person (sent or suppressed, with why) and the links' token hashes: they follow the person
        // to the survivor (so the contact rules count the merged asks), and an erasure deletes them.
        Table("survey_invitations", merge: .reassign, erase: .delete, export: .section("survey_invitations")),
        Table("survey_invitation_tokens", merge: .reassign, erase: .delete,
              export: .derived("hashes of the links in the person's survey invitations")),
        // Follow-up cases opened by the person's unhappy answers, and the notes on them: they follow the person to the
        // survivor, are theirs to see in an export (the notes are about them), and an erasure deletes them.
        Table("follow_up_cases", merge: .reassign, erase: .delete, export: .section("follow_ups")),
        Table("follow_up_notes", merge: .reassign, erase: .delete, export: .section("follow_ups")),
        Table("customer_merges", customerColumns: ["survivor_id", "merged_id"], merge: .keep, erase: .delete,
              export: .section("merges")),
    ]

    /// The tables `kind` has.
    static func tables(_ kind: DatabaseKind) -> [Table] {
        all.filter { $0.only == nil || $0.only == kind }
    }

    /// The sections of an export, in the registry's order.
    static var exportSections: [String] {
        var sections: [String] = []
        for table in all {
            if case .section(let name) = table.onExport, !sections.contains(name) { sections.append(name) }
        }
        return sections
    }
}
