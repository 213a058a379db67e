/// What the demo's customers write in the comment boxes, by survey and mood: a few dozen realistic texts, so that
/// lists, searches and text filters have something to find. Returns comments change with the new returns policy.
enum DemoComments {
    static let npsPromoter = [
        "Maya sorted out my missing parcel in one call. Brilliant service.",
        "Quick, friendly and the replacement arrived two days later.",
        "Always helpful. I recommend you to everyone at the office.",
        "The chat agent knew exactly what to do, no copy-paste answers.",
        "Great products and people who actually answer emails.",
        "Fast refund, no questions asked. That's how it should be.",
        "Second time I needed help and again it was painless.",
        "Lovely quality and the support team is genuinely kind.",
        "Problem fixed before I finished my coffee. Thank you!",
    ]
    static let npsPassive = [
        "Fine overall, but it took three emails to get an answer.",
        "Good products, delivery could be faster.",
        "Solved in the end, though I had to explain it twice.",
        "Okay experience. Nothing special, nothing bad.",
        "The agent was nice but couldn't change the delivery date.",
        "Prices went up a bit, service is still decent.",
    ]
    static let npsDetractor = [
        "Waited a week for a reply about a broken lamp.",
        "My order arrived damaged and nobody called me back.",
        "I was transferred three times and still had to repeat everything.",
        "The courier left the parcel outside in the rain. Again.",
        "Charged twice and it took ages to get the money back.",
        "The chat bot kept sending me help articles instead of a person.",
        "Nobody could tell me where my order was.",
    ]
    /// Detractors about returns before the new policy, and what people say after it.
    static let returnsBefore = [
        "Returning a mug should not cost me more than the mug.",
        "14 days to return and I have to pay shipping? No thanks.",
        "The returns form is impossible to find and the label costs extra.",
        "Refund took almost a month after you received the item.",
    ]
    static let returnsAfter = [
        "Free returns with a QR code at the post office, so easy.",
        "Love the new 60-day returns. Refund came in three days.",
        "Returned a chair without any hassle, refund the same week.",
        "The printer-free return was great, no label needed.",
    ]
    static let csatPositive = [
        "Well packed and on time.", "Arrived a day early, perfect condition.", "Exactly as pictured, great quality.",
        "The courier was friendly and careful.", "Fast delivery to my office.",
    ]
    static let csatNeutral = [
        "Arrived on time but the box was dented.", "Took a bit longer than promised.",
        "Fine, though the tracking link never updated.",
    ]
    static let csatNegative = [
        "Delivered to the wrong address.", "One item was missing from the parcel.", "Arrived broken, glass everywhere.",
        "Four days late and no update from the courier.",
    ]
    static let cesPositive = [
        "Checkout was quick.", "Easy, found everything.", "Paid with one tap, nice.", "Simple and clear.",
    ]
    static let cesNeutral = ["Took a while to find the delivery options.", "Coupon code field was hard to find."]
    static let cesNegative = [
        "The payment page reloaded twice.", "Had to create an account just to buy a candle.",
        "Couldn't change the delivery address after entering it.",
    ]

    /// What a follow-up owner writes on the case.
    static let followUpNotes = [
        "Called the customer, apologised and offered a replacement.",
        "Left a voicemail, will try again tomorrow morning.",
        "Refund issued; customer thanked us for getting back to them.",
        "Customer prefers email; sent a summary of what we changed.",
        "Escalated to the warehouse: the damaged batch is being checked.",
    ]
}
