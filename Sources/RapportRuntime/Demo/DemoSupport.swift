import RapportCore

/// The support side of the demo: eight agents in two teams, and a year of resolved tickets, each a `Ticket Resolved`
/// event naming the agent, the team, the support channel and the touchpoint, as a help desk integration would send it.
extension DemoGenerator {
    mutating func makeTeam() {
        let joined = calendar.midnight(daysAgo: DemoCalendar.days - 1)
        for agent in DemoCatalog.agents {
            data.agents.append(DemoDataSet.Agent(id: ids.next(at: joined), name: agent.name, email: agent.email, team: agent.team))
        }
        for (index, name) in DemoCatalog.teams.enumerated() {
            data.teams.append(AgentTeam(id: ids.next(at: joined), workspaceId: workspaceId, name: name,
                                        memberIds: data.agents.filter { $0.team == index }.map(\.id).sorted(),
                                        createdAt: joined, updatedAt: joined))
        }
    }

    /// Tickets over the year, a few more in the winter peak; people who buy more write more.
    mutating func makeTickets() {
        // Cumulative weights, searched by bisection: a linear pick over 3,000 people per ticket is slow in a debug build.
        var cumulative: [Double] = []
        var sum = 0.0
        for person in people {
            sum += 0.3 + person.activity
            cumulative.append(sum)
        }
        for number in 0..<size.tickets {
            var daysAgo = Int.random(in: 0..<(DemoCalendar.days - 5), using: &rng)
            if daysAgo > 300, chance(0.3) { daysAgo -= 30 } // fewer tickets in the first weeks of the demo shop
            let person = pickPerson(joinedBefore: daysAgo, cumulative: cumulative)
            guard let person else { continue }
            let topic = DemoCatalog.topics[demoWeighted(DemoCatalog.topics.map(\.weight), &rng)]
            let team = topic.team
            let candidates = DemoCatalog.agents.indices.filter { DemoCatalog.agents[$0].team == team }
            let agentIndex = candidates.pick(&rng)
            let agent = DemoCatalog.agents[agentIndex]
            let channel = DemoCatalog.supportChannels[demoWeighted(DemoCatalog.supportChannels.map(\.weight), &rng)]
            let opened = calendar.workingTime(daysAgo: daysAgo, using: &rng)
            let hoursToResolve = channel.name == "email" ? Double.random(in: 2...40, using: &rng) : Double.random(in: 0.1...6, using: &rng)
            let resolved = min(opened + Int64(hoursToResolve * 3_600_000), now - 3 * DemoCalendar.hour)
            guard resolved > opened else { continue }
            let ticketId = "T-\(20_000 + number)"
            ticketCount += 1
            let base: [String: JSONValue] = ["ticket_id": .string(ticketId), "channel": .string(channel.name),
                                             "topic": .string(topic.name)]
            track(.track, "Ticket Created", person: person, at: opened, properties: .object(base))
            var resolvedProperties = base
            resolvedProperties["agent"] = .string(agent.email)
            resolvedProperties["team"] = .string(DemoCatalog.teams[team])
            resolvedProperties["touchpoint"] = "support"
            resolvedProperties["resolution_hours"] = .number((hoursToResolve * 10).rounded() / 10)
            track(.track, "Ticket Resolved", person: person, at: resolved, properties: .object(resolvedProperties))
            asks.append(DemoSurveyAsk(kind: .ticket, person: person, at: resolved + 2 * DemoCalendar.hour,
                                      attributes: ["agent": agent.email, "team": DemoCatalog.teams[team], "channel": channel.name,
                                                   "touchpoint": "support", "ticket_id": ticketId, "topic": topic.name],
                                      effect: agent.effect + channel.effect, topic: topic.name, agentIndex: agentIndex))
        }
    }

    /// A person who had joined `daysAgo` days ago, chosen by their cumulative weights (a few tries, then anyone who
    /// had joined).
    mutating func pickPerson(joinedBefore daysAgo: Int, cumulative: [Double]) -> Int? {
        for _ in 0..<8 {
            let u = Double.random(in: 0..<(cumulative.last ?? 1), using: &rng)
            var low = 0, high = cumulative.count - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] > u { high = middle } else { low = middle + 1 }
            }
            if people[low].joinedDaysAgo > daysAgo { return low }
        }
        return people.indices.first { people[$0].joinedDaysAgo > daysAgo }
    }
}
