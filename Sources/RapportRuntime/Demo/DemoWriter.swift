import RapportCore

/// Stores a demo data set through the store's repositories and their bulk paths, in a handful of large
/// transactions (not one per record): the team and the surveys; the people, accounts and consent; the timeline;
/// the orders; the invitations, responses and follow-ups. Statistics are refreshed afterwards, as after an import.
struct DemoWriter {
    let store: any DataStore

    func write(_ data: DemoDataSet, agentPasswordHash: String) async throws {
        let workspaceId = data.workspaceId
        try await store.write { repos in
            try await repos.workspaces.setTimeZone(id: workspaceId, to: data.timeZone)
            for agent in data.agents {
                let joined = data.teams.first?.createdAt ?? 0
                try await repos.users.insert(User(id: agent.id, email: agent.email, name: agent.name,
                                                  passwordHash: agentPasswordHash, createdAt: joined))
                try await repos.memberships.add(workspaceId: workspaceId, userId: agent.id, role: .agent, at: joined)
            }
            for team in data.teams { try await repos.agentTeams.insert(team) }
            for survey in data.surveys {
                try await repos.surveys.insert(survey)
                try await repos.surveys.publish(workspaceId: workspaceId, surveyId: survey.id, version: survey.version)
            }
        }
        try await store.write { repos in
            try await repos.customers.upsert(data.customers)
            try await repos.customers.addIdentifiers(workspaceId: workspaceId, data.identifiers, at: data.customers.first?.createdAt ?? 0)
            var values: [String: [String?]] = [:]
            for customer in data.customers { values[customer.id] = [customer.name, customer.email, customer.phone] }
            for (customerId, identifier) in data.identifiers { values[customerId, default: []].append(identifier.value) }
            try await repos.customers.writeSearch(workspaceId: workspaceId, data.customers.map { ($0.id, values[$0.id] ?? []) })
            for account in data.accounts { try await repos.accounts.upsert(account) }
            for member in data.accountMembers {
                try await repos.accounts.addMember(workspaceId: workspaceId, accountId: member.accountId, customerId: member.customerId,
                                                   at: member.at)
            }
            for record in data.consents { try await repos.consents.append(record) }
            for suppression in data.suppressions { try await repos.emails.suppress(suppression) }
        }
        try await store.write { repos in try await repos.activities.insert(data.activities) }
        try await store.write { repos in
            for order in data.orders { try await repos.orders.insert(order) }
        }
        try await store.write { repos in
            for invitation in data.invitations { try await repos.surveyInvitations.insert(invitation) }
            for response in data.responses { try await repos.surveyResponses.insert(response) }
            for followUp in data.followUps { try await repos.followUps.insert(followUp) }
            for note in data.notes { try await repos.followUps.insertNote(note) }
        }
        try await store.refreshStatistics()
    }
}
