//! English phrases, standard and colloquial ("where's my stuff", "never showed up").

use super::Lang::{Any, En};
use super::{Entry, e};
use crate::assistant::nlu::Intent::{self, *};
use crate::assistant::nlu::Topic;

const fn q(topic: Topic) -> Intent {
    GeneralQuestion { topic }
}

pub static ENTRIES: &[Entry] = &[
    e(
        WhereIsMyParcel,
        En,
        &[
            "where|wheres|whereis parcel*|package*|order*|stuff|delivery|deliveries|shipment*|item*|thing*|box|purchase*|it|pack*",
            "when arrive*|coming|deliver*|get|here|come|ship*",
            "track* parcel*|package*|order*|shipment*|it|delivery",
            "status order*|parcel*|package*|delivery|shipment*",
            "order*|parcel*|package*|delivery|shipment*|tracking status",
            "update|updates|news order*|parcel*|package*|delivery|shipment*|it",
            "shipped|dispatched yet|already",
            "been shipped|dispatched|sent",
            "on way",
            "how much longer",
            "what time come|coming|arrive*|deliver*",
            "problem|issue|wrong with order*|parcel*|package*|delivery|shipment*",
            "happened to|with order*|parcel*|package*|delivery|shipment*",
            "parcel*|package*|order*|delivery|it coming|arriving",
        ],
    ),
    e(
        NotReceived,
        En,
        &[
            "not|never|havent|hasnt|didnt|nothing received|receive|arrived|arrive|got|get|gotten|come|came|showed|turned|delivered|shown",
            "not|nothing|isnt|arent|wasnt here|there",
            "to the|a wrong address|house|door|person|flat|building|neighbour|neighbor",
            "wrong address|house|door",
            "still nothing",
            "delivered but|yet|although",
            "says|shows|marked|showing|claims delivered",
            "parcel*|package*|order*|it|delivery|shipment* lost|missing|stolen|disappeared|gone|vanished",
            "lost|missing|stolen parcel*|package*|order*|delivery|shipment*",
        ],
    ),
    e(
        WrongItem,
        En,
        &[
            "wrong item*|size|colour|color|product*|thing*|one|order|model|article|parcel|package|stuff|shoes|sent|delivered|received|got",
            "sent|delivered|received|got|gave wrong",
            "not|isnt|wasnt what ordered",
            "didnt|never order*",
            "doesnt|dont fit",
            "incorrect item*|size|colour|color|product*",
            "different item*|colour|color|size|product*|model",
            "mixed up",
            "instead of",
        ],
    ),
    e(
        Damaged,
        En,
        &[
            "damaged|damage|broken|smashed|crushed|cracked|torn|ripped|dented|defective|faulty|scratched|shattered|soaked|leaking|leaked",
            "doesnt|dont|not work*",
            "arrived wet",
        ],
    ),
    e(
        Late,
        En,
        &[
            "late|delayed|delay*|overdue",
            "behind schedule",
            "taking long|forever|ages",
            "still waiting",
            "waiting weeks|days|ages|forever|since",
            "should arrived|come|been|here|be",
            "supposed arrive|come|be",
            "weeks|days ago",
            "been week|weeks|day|days|ages|forever",
            "no|not movement|progress|moved|moving",
        ],
    ),
    e(
        RefundStatus,
        En,
        &[
            "refund*|reimburs*|chargeback",
            "money back",
            "credit back",
            "where money",
        ],
    ),
    e(
        Cancel,
        En,
        &["cancel*", "too late cancel*", "dont want anymore"],
    ),
    e(Return, En, &["return*", "send back", "label*"]),
    e(
        Callback,
        En,
        &[
            "call me|back|us",
            "callback|callbacks",
            "ring|phone me",
            "give call|ring",
            "phone call",
            "by phone",
            "get call",
        ],
    ),
    e(
        Redelivery,
        En,
        &[
            "redeliver*|reschedul*|redelivery",
            "re deliver*",
            "deliver* again|tomorrow",
            "try again",
            "another|new|second attempt|try|delivery|date|day",
            "wasnt|not|werent home|in",
            "different day|date|time",
            "leave it|parcel|package|with|at|in neighbour*|neighbor*|porch|garage|door|doorstep|mailbox|reception",
            "deliver*|bring|drop|give neighbour*|neighbor*|porch|doorstep|reception",
            "safe place",
        ],
    ),
    e(
        Investigation,
        En,
        &[
            "investigat*",
            "look into it|this",
            "trace|search for parcel*|package*|shipment*|it",
        ],
    ),
    e(
        Replacement,
        En,
        &["replace*|exchange*|swap", "send another|new", "new one"],
    ),
    e(
        Human,
        En,
        &[
            "human|agent|representative|operator|supervisor",
            "real|actual|live person|human|agent",
            "talk|speak|chat someone|somebody|anyone|person|human|agent|staff|manager",
            "customer service|support|care",
            "not|no bot|robot|machine",
        ],
    ),
    e(
        Yes,
        En,
        &[
            "yes|yeah|yep|yup|ya|yea",
            "sure",
            "fine",
            "alright|allright",
            "of course",
            "go ahead",
            "do it",
            "please do",
            "sounds good|great",
            "correct",
            "right",
            "absolutely|definitely|exactly|perfect|great|cool",
            "that works",
        ],
    ),
    e(
        No,
        En,
        &[
            "no|nope|nah",
            "not now|necessary|needed|really",
            "rather not",
            "no way",
            "never mind",
            "nevermind",
            "negative",
        ],
    ),
    e(
        Thanks,
        En,
        &["thanks|thank*|thx|ty|cheers|appreciate*|thankyou|tysm"],
    ),
    e(
        Greeting,
        En,
        &[
            "hello|hiya|howdy|greetings",
            "good morning|afternoon|evening",
        ],
    ),
    e(
        Goodbye,
        En,
        &[
            "bye|goodbye|byebye|cya|farewell",
            "see you|ya",
            "have nice|good|great day|evening|weekend",
            "take care",
            "talk later|soon",
        ],
    ),
    e(Goodbye, Any, &["ciao"]),
    e(
        q(Topic::DeliveryTimes),
        En,
        &[
            "delivery|shipping time|times|duration",
            "how long take|shipping|delivery|deliver",
            "how fast|quickly deliver*|ship*",
            "deliver* saturday*|sunday*|weekend*",
            "express|next day shipping|delivery",
        ],
    ),
    e(
        q(Topic::Returns),
        En,
        &[
            "return*|refund policy|period|window|conditions|policies",
            "how returns|return work*",
            "free return*",
            "how long have return*",
            "days have return*",
        ],
    ),
    e(
        q(Topic::Replacements),
        En,
        &[
            "replacement|exchange policy",
            "how replacement*|exchange* work*",
        ],
    ),
    e(
        q(Topic::Callbacks),
        En,
        &[
            "hotline",
            "your phone number",
            "number to call",
            "how callback*|call work*",
            "when you call",
            "can i call you",
        ],
    ),
    e(
        q(Topic::OpeningHours),
        En,
        &[
            "opening|business|office|service hours|times",
            "when open",
            "open saturday*|sunday*|weekend*|today|holiday*",
        ],
    ),
    e(
        q(Topic::Payment),
        En,
        &[
            "pay|paid|payment*|paypal|invoice*|billing|charged|klarna|voucher*|coupon*",
            "credit card",
            "bank transfer",
            "shipping cost*|fee*",
            "how much shipping|delivery",
        ],
    ),
];
