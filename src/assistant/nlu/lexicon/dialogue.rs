//! Phrases of the dialogue beside the order requests, in both languages: questions about
//! one detail of the order in focus ("und bis wann kann ich es abholen?", "when is the
//! driver coming?"), requests Verity cannot do here (address or date changes, payment,
//! invoices, money back, complaints), frustration, "are you still there?" and "it came
//! after all".

use super::Lang::{De, En};
use super::{Entry, e};
use crate::assistant::nlu::Intent::{self, *};
use crate::assistant::nlu::{Detail, Unable};

const fn d(detail: Detail) -> Intent {
    Intent::Detail { detail }
}

const fn no(what: Unable) -> Intent {
    CannotDo { what }
}

pub static ENTRIES: &[Entry] = &[
    e(
        d(Detail::Pickup),
        De,
        &[
            "abhol*",
            "bis wann",
            "wie lange liegt|liegen|bleibt|bleiben|aufbewahrt|gelagert|abholbereit|dort|da",
            "abholfrist|lagerfrist|aufbewahrungsfrist|abholzeit*",
            "selbst|selber holen|hingehen|vorbeikommen",
            "wo kann|koennen|muss ich es|das|paket*|sendung* holen",
        ],
    ),
    e(
        d(Detail::Pickup),
        En,
        &[
            "pick up|it|them",
            "pickup|collect*",
            "until when",
            "how long kept|held|stay|stays|there|wait|waiting|keep",
            "deadline",
            "get it myself",
            "where|wheres pick|collect|pickup",
        ],
    ),
    e(
        d(Detail::WhereExactly),
        De,
        &[
            "wo genau",
            "wo denn genau",
            "wo genau ist|liegt|steckt|wurde paket*|sendung*|es|das|sie",
            "welche* nachbar*|adresse|hausnummer|filiale|paketshop|packstation|stelle|ort",
            "nachbar* welche*|wem|wer",
            "bei wem",
            "wer hat es|das|sie|paket*|sendung*",
            "wo abgestellt|abgelegt|hingelegt|hinterlegt|abgegeben|hingestellt|gelassen",
            "fahrer*|bote*|zusteller*|kurier* hingelegt|abgestellt|abgelegt|gelassen|hingestellt",
            "wo ist|liegt der|die|das paketshop|filiale|kiosk|packstation|nachbar*|ablageort",
        ],
    ),
    e(
        d(Detail::WhereExactly),
        En,
        &[
            "where exactly",
            "which neighbour|neighbor|shop|address|house|door|location|place|store",
            "who has|took|got|signed it|parcel|package|them",
            "where left|put|dropped|placed|leave|drop",
            "where was it|they|parcel|package",
            "exactly where",
        ],
    ),
    e(
        d(Detail::NextAttempt),
        De,
        &[
            "wann kommt|kommen|faehrt|ist fahrer*|bote*|zusteller*|kurier*|paketbote*|paketdienst|lieferant*|dhl|dpd|hermes|gls|ups|postbote*",
            "naechste* zustellversuch|versuch|zustellung|anlauf|zustelltag",
            "zweite* zustellversuch|versuch",
            "wann versucht|versuchen|probiert|probieren|liefert|liefern|kommt|kommen wieder|erneut|nochmal|nochmals",
            "fahrer*|bote*|zusteller*|kurier* morgen|wieder|nochmal|uhrzeit|wann",
            "um wie viel|wieviel uhr",
            "welche uhrzeit",
            "kommt|kommen zusteller*|fahrer*|bote*|kurier*|paketbote*|postbote*",
        ],
    ),
    e(
        d(Detail::NextAttempt),
        En,
        &[
            "when driver|courier|carrier|postman|dhl|dpd|ups|hermes|gls|they|he|she|someone come|coming|back|try|trying|return",
            "when will|does|is driver|courier|carrier|postman|they|he|she",
            "when come|coming back|again|round",
            "next attempt|delivery|try|visit",
            "second attempt",
            "when next|another attempt|delivery|try",
            "when try again",
            "what time driver|courier|they|coming|come|arrive",
            "driver|courier tomorrow|again|time",
        ],
    ),
    e(
        d(Detail::ReturnLabel),
        De,
        &[
            "wo ist|bleibt|steckt|sind ruecksendeetikett*|retourenetikett*|etikett*|label*|retourenschein*|ruecksendeschein*|retourenlabel*|ruecksendelabel*",
            "wann kommt|bekomme|krieg*|erhalte ruecksendeetikett*|retourenetikett*|etikett*|label*|retourenschein*|ruecksendeschein*|retourenlabel*|ruecksendelabel*",
            "ruecksendeetikett*|retourenetikett*|etikett*|label*|retourenschein*|ruecksendeschein*|retourenlabel*|ruecksendelabel* nicht|nie|noch|immer|versprochen|zugesagt",
            "kein|keinen|nie ruecksendeetikett*|retourenetikett*|etikett*|label*|retourenschein*|ruecksendeschein*",
        ],
    ),
    e(
        d(Detail::ReturnLabel),
        En,
        &[
            "where|wheres label*",
            "when get|receive|will|arrive label*",
            "label* not|never|still|yet|promised|missing",
            "no|never|didnt|havent|not get|got|received|receive label*",
        ],
    ),
    e(
        no(Unable::ChangeAddress),
        De,
        &[
            "adresse*|lieferadresse*|anschrift*|hausnummer|strasse aendern|aenderung|korrigieren|anpassen|umaendern|wechseln",
            "aendern|korrigieren|anpassen adresse*|lieferadresse*|anschrift*",
            "andere|neue adresse*|lieferadresse*|anschrift*",
            "umleiten|umleitung|umadressieren|weiterleiten",
            "umgezogen|umzug",
            "an meine|die arbeit|firma|buero|eltern liefern|schicken|senden",
        ],
    ),
    e(
        no(Unable::ChangeAddress),
        En,
        &[
            "change|update|correct|fix|edit|amend address*",
            "address* change|update|wrong|incorrect",
            "different|new|another address*",
            "redirect*|reroute*|divert*",
            "moved house",
            "ship|send|deliver it|to my work|office|parents",
        ],
    ),
    e(
        no(Unable::ChangeDate),
        De,
        &[
            "liefertermin|lieferdatum|zustelltermin|zustelldatum|termin|datum|lieferung|zustellung verschieben|aendern|verlegen|umlegen",
            "verschieben|aendern liefertermin|lieferdatum|zustelltermin|termin|lieferung|zustellung",
            "spaeter|erst liefern|zustellen|bringen|schicken",
            "nicht vor|erst nach|erst ab liefern|zustellen",
            "bin im urlaub|verreist",
        ],
    ),
    e(
        no(Unable::ChangeDate),
        En,
        &[
            "change|move|postpone|delay|push date|delivery|day",
            "deliver|ship|send later|next week|after",
            "delivery|date change|later|postponed",
            "on holiday|vacation",
            "away next week",
        ],
    ),
    e(
        no(Unable::Payment),
        De,
        &[
            "muss|muessen|soll|sollen ich|wir|man bezahlen|zahlen|nachzahlen|draufzahlen",
            "kostet|kosten das|es mich|extra|was",
            "zahlen|bezahlen ich|wir das|dafuer|extra",
            "doppelt abgebucht|belastet|bezahlt",
            "zahlung* fehlgeschlagen|abgelehnt|problem*",
            "zoll|nachnahme|gebuehr*",
        ],
    ),
    e(
        no(Unable::Payment),
        En,
        &[
            "do|will|should|must i|we have pay|paying",
            "have to pay",
            "pay for|extra|again|anything|it|this",
            "charged|billed twice|again|extra|double",
            "cost me|anything|extra",
            "payment failed|declined|problem",
            "customs|fee|fees|duty",
        ],
    ),
    e(
        no(Unable::Invoice),
        De,
        &[
            "rechnung*|quittung|beleg|zahlungsbeleg|kaufbeleg schicken|senden|zusenden|brauche|bekommen|korrigieren|aendern|kopie|fehlt|falsch",
            "brauche|benoetige|bekomme|schicken|wo|mailen|haette|moechte rechnung*|quittung|beleg|zahlungsbeleg|kaufbeleg",
            "rechnung*|quittung|beleg per mail|email|post",
        ],
    ),
    e(
        no(Unable::Invoice),
        En,
        &[
            "send|need|get|copy|where|email|mail|resend|forward|have|want|download invoice*|receipt*|bill",
            "invoice*|receipt* missing|wrong|incorrect|copy|please|again",
        ],
    ),
    e(
        no(Unable::MoneyBack),
        De,
        &[
            "will|moechte|moechten|haette|verlange|fordere|brauche geld|betrag zurueck|wieder",
            "will|moechte|moechten|haette|verlange|fordere|brauche erstattung|rueckerstattung|gutschrift|rueckzahlung",
            "geld zurueck haben|bekommen|erstatten|ueberweisen|fordern|verlangen|will",
            "erstatten sie|ihr",
            "zurueckerstatten|erstattet werden",
        ],
    ),
    e(
        no(Unable::MoneyBack),
        En,
        &[
            "want|like|need|demand|request|expect refund|money|reimbursement",
            "give|send me money back|refund",
            "refund me",
            "refund my money",
            "want money back",
        ],
    ),
    e(
        no(Unable::Complaint),
        De,
        &[
            "beschwer*|reklamation*|reklamier*",
            "schlechte* qualitaet|verarbeitung|service|ware",
            "qualitaet schlecht|mies|mangelhaft",
            "mangelhaft|minderwertig",
        ],
    ),
    e(
        no(Unable::Complaint),
        En,
        &[
            "complain*|complaint*",
            "poor|bad|terrible quality|service|product",
            "quality bad|poor|terrible",
            "make complaint",
        ],
    ),
    e(
        Frustration,
        De,
        &[
            "aergerlich|aergert|aergere|geaergert|frechheit|unverschaemt*|unfassbar|zumutung|skandal*|katastroph*|sauer|wuetend|genervt|nervig|enttaeuscht*|unzufrieden|unmoeglich|laecherlich|inakzeptabel|bloed|mist|schlimm",
            "nervt|nerven",
            "reicht mir|langsam|jetzt",
            "kann nicht wahr sein",
            "nicht zu fassen",
            "ist doch|echt schlecht|mies|peinlich|traurig",
            "unglaublich|unerhoert|schon wieder",
            "bringt nichts|nix",
            "hilft nicht|nichts|nix",
            "helfen|hilft mir|uns nicht|nich|nichts|nix",
            "versteh* mich nicht|nich",
            "nutzlos|sinnlos",
        ],
    ),
    e(
        Frustration,
        En,
        &[
            "ridiculous|annoying|annoyed|frustrat*|angry|furious|unacceptable|terrible|awful|useless|pathetic|outrageous|disappointed|disappointing|unbelievable|upset|joke|nonsense|rubbish|worst|fed|sick",
            "not helpful|helping",
            "doesnt|dont|not help|understand",
            "waste time",
            "had enough",
        ],
    ),
    e(
        StillThere,
        De,
        &[
            "sind|bist|seid sie|du|ihr noch da",
            "noch jemand da",
            "ist da jemand",
            "hoert|liest mich|mir jemand",
            "antwort* sie|du|mal|bitte",
            "keine antwort",
        ],
    ),
    e(
        StillThere,
        En,
        &[
            "still there",
            "anyone|anybody|somebody|someone there|here",
            "are you there",
            "no answer|reply|response",
            "answer me",
        ],
    ),
];
