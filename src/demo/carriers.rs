//! Carriers as they write: tracking-number shapes, parcel centres, pick-up points, and
//! each carrier's own status code and German words for every step of a parcel's way.

use crate::domain::{Carrier, ScanDetail, ScanStatus};

use super::people::SURNAMES_DE;
use super::rng::Rng;

/// A tracking number of the carrier's usual shape: DHL 20 digits starting 00340434,
/// DPD 14 digits, Hermes 14 digits, GLS 11 or 12 digits.
pub fn tracking_number(rng: &mut Rng, carrier: Carrier) -> String {
    match carrier {
        Carrier::Dpd => format!("015{}", rng.digits(11)),
        Carrier::Hermes => format!("40{}", rng.digits(12)),
        Carrier::Gls => {
            let n = if rng.chance(50) { 10 } else { 11 };
            format!("8{}", rng.digits(n))
        }
        _ => format!("00340434{}", rng.digits(12)),
    }
}

/// The sorting centre of a region, as the carrier names it.
pub fn hub(carrier: Carrier, region: &str) -> String {
    match carrier {
        Carrier::Dpd => format!("DPD Depot {region}"),
        Carrier::Hermes => format!("Hermes Logistik-Center {region}"),
        Carrier::Gls => format!("GLS Paketzentrum {region}"),
        _ => format!("Paketzentrum {region}"),
    }
}

/// A pick-up point: a DHL Packstation or Filiale, or another carrier's parcel shop.
pub fn pickup_point(rng: &mut Rng, carrier: Carrier) -> (String, ScanDetail) {
    let shop = || -> &[&str] {
        &[
            "Kiosk am Markt",
            "Schreibwaren {}",
            "Lotto-Toto {}",
            "Getränkemarkt {}",
            "Reinigung {}",
            "Tabakwaren {}",
        ]
    };
    match carrier {
        Carrier::Dhl if rng.chance(60) => (
            format!("Packstation {}", rng.range(101, 289)),
            ScanDetail::Locker,
        ),
        Carrier::Dhl => (
            format!("Filiale {}", rng.range(501, 689)),
            ScanDetail::ParcelShop,
        ),
        _ => {
            let surname = *rng.pick(SURNAMES_DE);
            let name = rng.pick(shop()).replace("{}", surname);
            (name, ScanDetail::ParcelShop)
        }
    }
}

/// One step of a parcel's way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Announced,
    PickedUpFromSender,
    DroppedOffByCustomer,
    OriginHub,
    DestinationHub,
    Export,
    ArrivedAbroad,
    Delayed,
    OutForDelivery,
    Delivered,
    DeliveredToNeighbour,
    DeliveredToSafePlace,
    NotMet { attempt: u8, to_pickup_point: bool },
    AddressProblem,
    ReadyForPickup { point: &'a str, until: &'a str },
    PickedUp { point: &'a str },
    ReturnedToSender,
}

impl Step<'_> {
    /// The normalized status this step is reported as.
    pub fn status(self) -> ScanStatus {
        match self {
            Step::Announced => ScanStatus::InfoReceived,
            Step::OutForDelivery => ScanStatus::OutForDelivery,
            Step::Delivered
            | Step::DeliveredToNeighbour
            | Step::DeliveredToSafePlace
            | Step::PickedUp { .. } => ScanStatus::Delivered,
            Step::NotMet { .. } => ScanStatus::AttemptFailed,
            Step::AddressProblem => ScanStatus::Exception,
            Step::ReadyForPickup { .. } => ScanStatus::AvailableForPickup,
            Step::ReturnedToSender => ScanStatus::ReturnedToSender,
            _ => ScanStatus::InTransit,
        }
    }
}

/// The carrier's status code and its words, verbatim as its tracking page shows them.
pub fn wording(carrier: Carrier, step: Step<'_>) -> (&'static str, String) {
    match carrier {
        Carrier::Dpd => dpd(step),
        Carrier::Hermes => hermes(step),
        Carrier::Gls => gls(step),
        _ => dhl(step),
    }
}

fn s(code: &'static str, text: &str) -> (&'static str, String) {
    (code, text.to_string())
}

#[rustfmt::skip]
fn dhl(step: Step<'_>) -> (&'static str, String) {
    match step {
        Step::Announced => s("VA", "Die Auftragsdaten zu dieser Sendung wurden vom Absender elektronisch an DHL übermittelt."),
        Step::PickedUpFromSender => s("AB", "Die Sendung wurde abgeholt."),
        Step::DroppedOffByCustomer => s("ES", "Die Sendung wurde in der Filiale eingeliefert."),
        Step::OriginHub => s("AA", "Die Sendung wurde im Start-Paketzentrum bearbeitet."),
        Step::DestinationHub => s("EE", "Die Sendung wurde im Ziel-Paketzentrum bearbeitet."),
        Step::Export => s("AE", "Die Sendung wurde vom Start-Paketzentrum zum Weitertransport ins Zielland abgegeben."),
        Step::ArrivedAbroad => s("EZ", "Die Sendung ist im Zielland/Zielgebiet eingetroffen."),
        Step::Delayed => s("VZ", "Die Sendung verzögert sich. Die Zustellung erfolgt voraussichtlich am nächsten Werktag."),
        Step::OutForDelivery => s("AZ", "Die Sendung wurde in das Zustellfahrzeug geladen."),
        Step::Delivered => s("ZU", "Die Sendung wurde erfolgreich zugestellt."),
        Step::DeliveredToNeighbour => s("ZN", "Die Sendung wurde erfolgreich zugestellt. Die Sendung wurde an einen Nachbarn übergeben."),
        Step::DeliveredToSafePlace => s("ZA", "Die Sendung wurde am gewünschten Ablageort zugestellt."),
        Step::NotMet { to_pickup_point: false, .. } => s("NA", "Der Empfänger wurde nicht angetroffen. Die Sendung wird am nächsten Werktag erneut zugestellt."),
        Step::NotMet { .. } => s("NA", "Der Empfänger wurde nicht angetroffen. Die Sendung wird in eine Filiale oder Packstation weitergeleitet."),
        Step::AddressProblem => s("AF", "Die Sendung konnte nicht zugestellt werden. Die Anschrift ist unvollständig oder fehlerhaft."),
        Step::ReadyForPickup { point, until } => ("AP", format!("Die Sendung liegt in der {point} zur Abholung bereit. Abholfrist: {until}.")),
        Step::PickedUp { point } => ("ZU", format!("Die Sendung wurde in der {point} vom Empfänger abgeholt.")),
        Step::ReturnedToSender => s("RS", "Die Sendung wurde nicht abgeholt und wird an den Absender zurückgesandt."),
    }
}

#[rustfmt::skip]
fn dpd(step: Step<'_>) -> (&'static str, String) {
    match step {
        Step::Announced => s("01", "Die Paketdaten wurden an DPD übermittelt."),
        Step::PickedUpFromSender => s("05", "Ihr Paket wurde von DPD abgeholt."),
        Step::DroppedOffByCustomer => s("05", "Ihr Paket wurde im DPD Pickup Paketshop abgegeben."),
        Step::OriginHub => s("10", "Ihr Paket hat das DPD Depot verlassen."),
        Step::DestinationHub | Step::ArrivedAbroad => s("02", "Ihr Paket ist im Zustelldepot eingetroffen."),
        Step::Export => s("10", "Ihr Paket ist auf dem Weg ins Zielland."),
        Step::Delayed => s("08", "Die Zustellung Ihres Pakets verzögert sich."),
        Step::OutForDelivery => s("03", "Wir stellen Ihr Paket heute zu."),
        Step::Delivered => s("13", "Ihr Paket wurde zugestellt."),
        Step::DeliveredToNeighbour => s("13", "Ihr Paket wurde bei Ihrem Nachbarn zugestellt."),
        Step::DeliveredToSafePlace => s("13", "Ihr Paket wurde mit einmaliger Vollmacht am Ablageort zugestellt."),
        Step::NotMet { to_pickup_point: false, .. } => s("14", "Wir haben Sie leider nicht angetroffen. Wir versuchen es am nächsten Werktag erneut."),
        Step::NotMet { .. } => s("14", "Wir haben Sie leider nicht angetroffen. Ihr Paket wird in den nächsten DPD Pickup Paketshop gebracht."),
        Step::AddressProblem => s("14", "Die Zustellung war nicht möglich. Die Adresse ist unvollständig oder fehlerhaft."),
        Step::ReadyForPickup { point, until } => ("23", format!("Ihr Paket liegt im DPD Pickup Paketshop {point} zur Abholung bereit. Abholung bis {until} möglich.")),
        Step::PickedUp { point } => ("13", format!("Ihr Paket wurde im DPD Pickup Paketshop {point} abgeholt.")),
        Step::ReturnedToSender => s("RS", "Ihr Paket wurde nicht abgeholt und geht an den Absender zurück."),
    }
}

#[rustfmt::skip]
fn hermes(step: Step<'_>) -> (&'static str, String) {
    match step {
        Step::Announced => s("VA", "Die Sendung wurde Hermes elektronisch angekündigt."),
        Step::PickedUpFromSender => s("AB", "Die Sendung wurde vom Absender an Hermes übergeben."),
        Step::DroppedOffByCustomer => s("PS", "Die Sendung wurde im Hermes PaketShop abgegeben."),
        Step::OriginHub => s("LC", "Die Sendung hat das Hermes Logistik-Center verlassen."),
        Step::DestinationHub | Step::ArrivedAbroad => s("VZ", "Die Sendung ist im Verteilzentrum eingetroffen."),
        Step::Export => s("EX", "Die Sendung ist auf dem Weg ins Zielland."),
        Step::Delayed => s("VS", "Die Sendung verspätet sich. Wir bitten um Entschuldigung."),
        Step::OutForDelivery => s("ZT", "Die Sendung wird voraussichtlich heute zugestellt."),
        Step::Delivered => s("ZU", "Die Sendung wurde zugestellt."),
        Step::DeliveredToNeighbour => s("ZN", "Die Sendung wurde beim Nachbarn zugestellt."),
        Step::DeliveredToSafePlace => s("ZA", "Die Sendung wurde am gewünschten Ablageort zugestellt."),
        Step::NotMet { attempt, to_pickup_point: false } => ("NZ", format!("{attempt}. Zustellversuch: Der Empfänger wurde nicht angetroffen.")),
        Step::NotMet { attempt, .. } => ("NZ", format!("{attempt}. Zustellversuch: Der Empfänger wurde nicht angetroffen. Die Sendung wird in einen Hermes PaketShop gebracht.")),
        Step::AddressProblem => s("AN", "Die Sendung konnte nicht zugestellt werden: Adresse nicht auffindbar."),
        Step::ReadyForPickup { point, until } => ("PS", format!("Die Sendung liegt im Hermes PaketShop {point} zur Abholung bereit (bis {until}).")),
        Step::PickedUp { point } => ("ZU", format!("Die Sendung wurde im Hermes PaketShop {point} an den Empfänger ausgehändigt.")),
        Step::ReturnedToSender => s("RS", "Die Sendung wurde nicht abgeholt und wird an den Absender zurückgeschickt."),
    }
}

#[rustfmt::skip]
fn gls(step: Step<'_>) -> (&'static str, String) {
    match step {
        Step::Announced => s("PREADVICE", "Die Paketdaten wurden an GLS übermittelt."),
        Step::PickedUpFromSender => s("INTRANSIT", "Das Paket wurde an GLS übergeben."),
        Step::DroppedOffByCustomer => s("INTRANSIT", "Das Paket wurde im GLS PaketShop abgegeben."),
        Step::OriginHub => s("INTRANSIT", "Das Paket hat das GLS-Paketzentrum verlassen."),
        Step::DestinationHub | Step::ArrivedAbroad => s("INWAREHOUSE", "Das Paket ist im GLS-Depot eingetroffen."),
        Step::Export => s("INTRANSIT", "Das Paket ist auf dem Weg ins Zielland."),
        Step::Delayed => s("INWAREHOUSE", "Das Paket konnte heute nicht zugestellt werden und wird am nächsten Werktag zugestellt."),
        Step::OutForDelivery => s("INDELIVERY", "Das Paket wird voraussichtlich im Laufe des Tages zugestellt."),
        Step::Delivered => s("DELIVERED", "Das Paket wurde zugestellt."),
        Step::DeliveredToNeighbour => s("DELIVERED", "Das Paket wurde beim Nachbarn zugestellt."),
        Step::DeliveredToSafePlace => s("DELIVERED", "Das Paket wurde am Ablageort zugestellt."),
        Step::NotMet { to_pickup_point: false, .. } => s("NOTDELIVERED", "Der Empfänger wurde nicht angetroffen. Eine Benachrichtigungskarte wurde hinterlassen."),
        Step::NotMet { .. } => s("NOTDELIVERED", "Der Empfänger wurde nicht angetroffen. Das Paket wird in einen GLS PaketShop gebracht."),
        Step::AddressProblem => s("NOTDELIVERED", "Das Paket konnte nicht zugestellt werden: Empfängeradresse nicht gefunden."),
        Step::ReadyForPickup { point, until } => ("INPARCELSHOP", format!("Das Paket liegt im GLS PaketShop {point} zur Abholung bereit (bis {until}).")),
        Step::PickedUp { point } => ("DELIVEREDPS", format!("Das Paket wurde im GLS PaketShop {point} abgeholt.")),
        Step::ReturnedToSender => s("RETURNED", "Das Paket wurde nicht abgeholt und wird an den Absender zurückgesendet."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TrackingNumber;

    #[test]
    fn tracking_numbers_have_each_carriers_shape() {
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let dhl = tracking_number(&mut rng, Carrier::Dhl);
            assert!(dhl.starts_with("00340434") && dhl.len() == 20, "{dhl}");
            assert_eq!(tracking_number(&mut rng, Carrier::Dpd).len(), 14);
            assert_eq!(tracking_number(&mut rng, Carrier::Hermes).len(), 14);
            let gls = tracking_number(&mut rng, Carrier::Gls);
            assert!((11..=12).contains(&gls.len()), "{gls}");
            assert!(TrackingNumber::parse(&gls).is_ok());
        }
    }

    #[test]
    fn every_step_has_words_in_every_carriers_voice() {
        for carrier in [Carrier::Dhl, Carrier::Dpd, Carrier::Hermes, Carrier::Gls] {
            let (code, text) = wording(carrier, Step::Delivered);
            assert!(!code.is_empty() && text.ends_with('.'), "{text}");
            let (_, text) = wording(
                carrier,
                Step::ReadyForPickup {
                    point: "X",
                    until: "18.09.2025",
                },
            );
            assert!(text.contains("18.09.2025"), "{text}");
        }
    }
}
