//! German phrases, standard and colloquial ("wo bleibt mein zeug", "hab nix bekommen").

use super::Lang::{Any, De};
use super::{Entry, e};
use crate::assistant::nlu::Intent::{self, *};
use crate::assistant::nlu::Topic;

const fn q(topic: Topic) -> Intent {
    GeneralQuestion { topic }
}

pub static ENTRIES: &[Entry] = &[
    e(
        WhereIsMyParcel,
        De,
        &[
            "wo ist|is|sind|bleibt|bleiben|steckt|stecken|befindet paket*|packet*|paeckchen|sendung*|bestellung*|lieferung*|zeug|sachen|ware|kram|artikel|order",
            "wo bleibt|steckt",
            "wo das|die|mein|meine|unser|unsere paket*|sendung*|bestellung*|lieferung*|zeug|packet*",
            "kommt|kommen heute|morgen|bald|noch",
            "wo ist|sind es|sie|das",
            "wann kommt|kommen|kommts|komm|kommst",
            "wann wird|werden geliefert|zugestellt|verschickt|versendet|ankommen|kommen",
            "wann krieg*|bekomm*|erhalte",
            "wann ist da",
            "status paket*|sendung*|bestellung*|lieferung*|auftrag*",
            "sendungsstatus|lieferstatus|bestellstatus|auftragsstatus|sendungsverfolgung",
            "stand paket*|sendung*|bestellung*|lieferung*|dinge",
            "verfolgen",
            "schon unterwegs|verschickt|versendet|raus|losgeschickt",
            "ist unterwegs",
            "wie lange noch",
            "wie lange dauert|dauern|braucht versand|lieferung|paket*|zustellung noch",
        ],
    ),
    e(
        NotReceived,
        De,
        &[
            "nicht|nich|nie|nix|nichts|kein|keine angekommen|bekommen|erhalten|gekriegt|eingetroffen|gekommen|geliefert|zugestellt",
            "nicht|nich|nie|nix|nichts da|hier",
            "kam|kommt nie|nicht|nich an",
            "nie angekommen|da",
            "paket*|sendung*|bestellung*|lieferung*|zeug|es|packet* weg|verschwunden|verloren|verschollen|geklaut|gestohlen",
            "verloren gegangen",
            "zugestellt|geliefert|abgegeben aber|jedoch|obwohl",
            "angeblich zugestellt|geliefert|abgegeben",
            "steht|zeigt|sagt zugestellt|geliefert",
            "paket*|sendung*|lieferung* fehlt",
            "an die|eine falsch* adresse|hausnummer|person|tuer|empfaenger|haus",
            "falsch* adresse|hausnummer|empfaenger",
            "nix|nichts bekommen|erhalten|gekriegt|angekommen",
        ],
    ),
    e(
        WrongItem,
        De,
        &[
            "falsch* artikel|teil|ware|produkt*|groesse|farbe|sache*|ding|dinge|geschickt|geliefert|bekommen|erhalten|gesendet|verschickt|zeug|modell|paket*|lieferung|bestellung|schuhe|hose|gekommen",
            "nicht bestellt|bestellte",
            "andere* artikel|teil|produkt*|farbe|groesse|ware|modell",
            "vertauscht|verwechselt",
            "passt nicht",
            "statt|anstatt|anstelle",
        ],
    ),
    e(
        Damaged,
        De,
        &[
            "kaputt*|beschaedig*|defekt*|zerbroch*|gebrochen|zerkratzt|eingedrueckt|zerdrueckt|aufgerissen|zerstoert|durchnaesst|ramponiert|zersplittert|nass",
            "funktioniert|funzt nicht|nich",
            "schaden|transportschaden|bruch",
        ],
    ),
    e(
        Late,
        De,
        &[
            "verspaet*|verzoeger*|lieferverzug|ueberfaellig",
            "zu spaet",
            "dauert|dauerts|braucht lange|ewig|ewigkeit|ewigkeiten",
            "sollte|haette|muesste|waere|war kommen|ankommen|da|geliefert|eintreffen|zugestellt",
            "warte|warten|wartet seit|schon|immer|ewig",
            "seit wochen|tagen",
            "nicht|keine weitergekommen|bewegt|bewegung|aktualisiert|fortschritt",
        ],
    ),
    e(
        RefundStatus,
        De,
        &[
            "erstatt*|rueckerstatt*|gutschrift|gutgeschrieben|rueckzahlung|zurueckgezahlt|zurueckueberwiesen|refund*",
            "geld zurueck|wieder",
            "wo bleibt|ist geld",
            "geld noch nicht|nich",
        ],
    ),
    e(
        Cancel,
        De,
        &[
            "storn*|abbestell*|annullier*",
            "stornieren|stornierung|storniert",
            "bestellung* zurueckziehen|widerrufen|abbrechen|aufheben",
            "moechte|brauche nicht|nich mehr",
        ],
    ),
    e(
        Return,
        De,
        &[
            "retour*|ruecksend*|zuruecksend*|zurueckschick*|zurueckgeben|zurueckbringen|rueckgabe|ruecksendeetikett|ruecksendeschein",
            "zurueckzuschicken|zurueckzusenden|zurueckzugeben",
            "zurueck schicken|senden|geben",
            "label*|etikett*|versandschein",
        ],
    ),
    e(
        Callback,
        De,
        &[
            "rueckruf*|zurueckruf*|anruf|anrufen|telefonisch|telefonieren",
            "ruft|ruf|rufen mich|uns an",
            "ruft|ruf|rufen zurueck",
            "melden telefon*",
        ],
    ),
    e(
        Redelivery,
        De,
        &[
            "nochmal|nochmals|erneut|neu|neue*|wieder|zweite* zustell*|liefer*|vorbeikommen|vorbei|bringen|versuch*|zustellversuch",
            "noch mal zustell*|liefer*|vorbei*|bringen",
            "bin|war|waren|sind nicht|nich da|zuhause|zu|daheim",
            "anderen|neuen tag|termin|zeitpunkt",
            "wunschtag|wunschtermin|zustelltermin|liefertermin|wunschzeit",
            "zustellung morgen",
        ],
    ),
    e(
        Replacement,
        De,
        &[
            "ersatz*|austausch*|umtausch*|umtauschen|tauschen|ersetzen",
            "schick*|senden|sende|sendet|zusenden neu*|nochmal|nochmals|erneut",
            "neu*|nochmal|nochmals|erneut schick*|senden|sende|sendet|zusenden|zuschick*",
        ],
    ),
    e(
        Human,
        De,
        &[
            "mensch|menschen|menschlich*|mitarbeiter*|sachbearbeiter*|kundenberater*|berater*|kundenservice|kundendienst|servicemitarbeiter*",
            "echte*|richtige*|lebendige* person|mensch*",
            "jemand*|person|wem sprechen|reden|schreiben",
            "weiterleiten|verbinden|durchstellen",
            "kein bot|roboter|computer|maschine",
        ],
    ),
    e(
        Yes,
        De,
        &[
            "ja",
            "jo",
            "jep",
            "jap",
            "jawohl",
            "passt",
            "gerne|gern",
            "klar",
            "genau",
            "richtig",
            "stimmt",
            "einverstanden",
            "in ordnung",
            "auf jeden fall",
            "mach das|mal|es",
            "machen wir|sie",
            "perfekt",
            "gut",
            "sicher",
            "bitte ja",
        ],
    ),
    e(
        Yes,
        Any,
        &[
            "ok",
            "okay",
            "okey",
            "oki",
            "okidoki",
            "alles klar",
            "super",
        ],
    ),
    e(
        No,
        De,
        &[
            "nein",
            "nee",
            "ne",
            "noe",
            "lieber nicht|nich",
            "auf keinen fall",
            "nicht noetig|jetzt",
            "kein bedarf|interesse",
            "brauch* ich nicht",
            "eher nicht",
            "danke nein",
        ],
    ),
    e(
        Thanks,
        De,
        &[
            "danke*",
            "dank",
            "vielen|besten|tausend dank",
            "merci",
            "dankeschoen",
        ],
    ),
    e(
        Greeting,
        De,
        &[
            "hallo|halloechen|hallochen|moin*|servus|tach|huhu|gruezi",
            "guten tag|morgen|abend",
            "gruess gott",
        ],
    ),
    e(Greeting, Any, &["hi", "hey", "hei"]),
    e(
        Goodbye,
        De,
        &[
            "tschues*|tschau|ciao|adieu",
            "bis dann|bald|spaeter",
            "auf wiedersehen|wiederhoeren",
            "schoenen tag|abend|sonntag|wochenende",
        ],
    ),
    e(
        q(Topic::DeliveryTimes),
        De,
        &[
            "lieferzeit*|versanddauer|lieferdauer|versandzeit*|laufzeit*",
            "wie lange dauert|dauern|braucht|brauchen versand|lieferung|paket*|zustellung",
            "wie schnell liefert|liefern|versendet|versenden|verschickt",
            "liefert|liefern ihr samstag*|sonntag*|wochenende",
        ],
    ),
    e(
        q(Topic::Returns),
        De,
        &[
            "rueckgabefrist|rueckgaberecht|widerrufsrecht|widerrufsfrist|rueckgabebedingung*|retourenbedingung*",
            "wie funktioniert|funktionieren|laeuft|geht retour*|ruecksend*|rueckgabe*|zurueckschick*",
            "kostenlos* retour*|ruecksend*|zurueckschick*|rueckgabe",
            "retour*|ruecksend*|rueckgabe kostenlos*|gratis|umsonst",
            "wie lange|viel zeit zurueckschick*|ruecksend*|retour*|zurueckgeben",
        ],
    ),
    e(
        q(Topic::Replacements),
        De,
        &[
            "wie funktioniert|funktionieren|laeuft|geht umtausch*|ersatz*|austausch*",
            "umtauschrecht|umtauschfrist",
        ],
    ),
    e(
        q(Topic::Callbacks),
        De,
        &[
            "hotline|telefonnummer|servicenummer|rufnummer|servicehotline",
            "wie funktioniert|laeuft rueckruf*",
            "wann ruft|rufen ihr|sie|man|jemand",
            "kann|koennen ich euch|sie anrufen",
        ],
    ),
    e(
        q(Topic::OpeningHours),
        De,
        &[
            "oeffnungszeit*|geschaeftszeit*|servicezeit*|sprechzeit*",
            "wann habt|haben|seid|sind ihr|sie offen|geoeffnet|erreichbar|da|auf",
            "wann offen|geoeffnet|erreichbar",
            "offen|geoeffnet|erreichbar samstag*|sonntag*|wochenende|feiertag*",
        ],
    ),
    e(
        q(Topic::Payment),
        De,
        &[
            "zahlung*|bezahl*|zahlen|paypal|kreditkarte*|rechnung*|ueberweisung*|klarna|lastschrift|vorkasse|ratenzahlung|zahlungsart*|versandkosten|gutschein*|abgebucht",
        ],
    ),
];
