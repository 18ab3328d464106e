//! Fictional customers: invented names (no real persons, no brands), emails only at
//! example.org/.com/.net, and phone numbers from the ranges German and British
//! regulators set aside for fiction (030 23125…, 069 90009…, 040 66969…, 0221 4710…,
//! 089 99998…, and 07700 900…).

use std::collections::BTreeSet;

use crate::domain::{Customer, CustomerId, Locale};

use super::must;
use super::places::{CITIES_ABROAD, CITIES_DE, City, Place, place_in};
use super::rng::Rng;

#[rustfmt::skip]
pub const FIRST_DE: &[&str] = &[
    "Anna", "Katrin", "Julia", "Sabine", "Miriam", "Lea", "Sophie", "Hannah", "Laura", "Petra",
    "Monika", "Claudia", "Birgit", "Ute", "Franziska", "Carla", "Nina", "Melanie", "Ines",
    "Greta", "Frieda", "Emma", "Lina", "Elif", "Zeynep", "Natalia", "Agnieszka", "Thomas",
    "Stefan", "Andreas", "Jens", "Markus", "Tobias", "Jonas", "Lukas", "Felix", "Matthias",
    "Daniel", "Florian", "Uwe", "Rainer", "Dirk", "Holger", "Malte", "Jan", "Timo", "Hendrik",
    "Emre", "Can", "Mehmet", "Piotr", "Dariusz", "Ole", "Bernd", "Gisela", "Heike",
];

#[rustfmt::skip]
pub const SURNAMES_DE: &[&str] = &[
    "Brüggemann", "Dreier", "Tegeler", "Kleinekathöfer", "Rempe", "Niemeier", "Sielemann", "Wöstmann", "Heitkamp", "Bödeker", "Kottmann", "Lödige",
    "Ostermeier", "Rüther", "Schlüter", "Vahle", "Wessel", "Ahlers", "Brinkmann",
    "Dünnebacke", "Feldhaus", "Gockel", "Isenberg", "Jürgens", "Kemper", "Lütkemeier",
    "Mertens", "Nolte", "Overbeck", "Pape", "Quante", "Stegemann", "Tiemann", "Uhlenbrock",
    "Wiemers", "Yıldız", "Kowalczyk", "Nowak", "Demir", "Schröer", "Bergmeier", "Hoppe",
    "Aydın", "Sökeland", "Twelker", "Meschede", "Fortmeier", "Lakämper",
];

#[rustfmt::skip]
pub const FIRST_EN: &[&str] = &[
    "Olivia", "Amelia", "Emily", "Grace", "Charlotte", "Chloe", "Siobhan", "Aoife", "Niamh",
    "James", "Oliver", "Harry", "George", "Conor", "Ciarán", "Samuel", "Ethan", "Fiona",
];

#[rustfmt::skip]
pub const SURNAMES_EN: &[&str] = &[
    "Whitfield", "Ashcombe", "Pemberton", "Thornbury", "Kilbride", "Fennelly",
    "Holloway", "Brennan", "Crowther", "Aldridge", "Blackwood", "Dunmore", "Ormsby",
];

/// Company names are a surname and a trade: plainly invented, no brand.
#[rustfmt::skip]
const COMPANY_PATTERNS: &[&str] = &[
    "{} Metallbau GmbH", "Tischlerei {}", "Praxis Dr. {}", "Bäckerei {}",
    "{} Elektrotechnik e.K.", "Steuerbüro {}", "{} & Partner Architekten", "Blumen {}",
];

/// A customer and where they live.
#[derive(Clone, Debug)]
pub struct Household {
    pub customer: Customer,
    pub place: Place,
}

/// Hands out unique emails and phone numbers.
#[derive(Default)]
pub struct Registry {
    emails: BTreeSet<String>,
    phones_de: u32,
    phones_gb: u32,
}

const FICTION_RANGES_DE: &[&str] = &[
    "+493023125",
    "+496990009",
    "+494066969",
    "+492214710",
    "+498999998",
];

impl Registry {
    /// `local@domain`, made unique by a number when taken.
    pub fn email(&mut self, local: &str, domain: &str) -> String {
        let mut candidate = format!("{local}@{domain}");
        let mut n = 2;
        while self.emails.contains(&candidate) {
            candidate = format!("{local}{n}@{domain}");
            n += 1;
        }
        self.emails.insert(candidate.clone());
        candidate
    }

    pub fn phone_de(&mut self) -> String {
        let i = self.phones_de;
        self.phones_de += 1;
        let range = FICTION_RANGES_DE[(i as usize) % FICTION_RANGES_DE.len()];
        format!("{range}{:03}", (i / FICTION_RANGES_DE.len() as u32) % 1000)
    }

    pub fn phone_gb(&mut self) -> String {
        let i = self.phones_gb;
        self.phones_gb += 1;
        format!("+447700900{:03}", i % 1000)
    }

    /// A customer with a fixed name and city (the named stories).
    #[expect(clippy::too_many_arguments, reason = "a table row, read in one place")]
    pub fn fixed(
        &mut self,
        rng: &mut Rng,
        id: &str,
        name: &str,
        email: &str,
        locale: Locale,
        city: &'static City,
        postcode: &'static str,
        street: (&'static str, u32),
    ) -> Household {
        self.emails.insert(email.to_string());
        let mut place = place_in(rng, city, name.to_string());
        place.postcode = postcode;
        place.street_name = street.0;
        place.number = street.1;
        Household {
            customer: Customer {
                id: must(CustomerId::parse(id)),
                name: name.to_string(),
                email: Some(email.to_string()),
                phone: Some(self.phone_de()),
                locale,
                salutation: None,
            },
            place,
        }
    }

    /// A random customer: mostly German people, some companies, some English speakers
    /// in Germany and a few in Britain and Ireland.
    pub fn random(&mut self, rng: &mut Rng, id: &str) -> Household {
        let kind = rng.weighted(&[
            (Kind::German, 78),
            (Kind::Company, 8),
            (Kind::English, 10),
            (Kind::Abroad, 4),
        ]);
        let (name, local, locale) = match kind {
            Kind::German | Kind::Company => {
                let first = *rng.pick(FIRST_DE);
                let last = *rng.pick(SURNAMES_DE);
                if kind == Kind::Company {
                    let name = rng.pick(COMPANY_PATTERNS).replace("{}", last);
                    (name.clone(), format!("buero.{}", slug(&name)), Locale::De)
                } else {
                    (
                        format!("{first} {last}"),
                        format!("{}.{}", slug(first), slug(last)),
                        Locale::De,
                    )
                }
            }
            Kind::English | Kind::Abroad => {
                let first = *rng.pick(FIRST_EN);
                let last = *rng.pick(SURNAMES_EN);
                (
                    format!("{first} {last}"),
                    format!("{}.{}", slug(first), slug(last)),
                    Locale::En,
                )
            }
        };
        let city = if kind == Kind::Abroad {
            rng.pick(CITIES_ABROAD)
        } else {
            let weights: Vec<(usize, u32)> = CITIES_DE
                .iter()
                .enumerate()
                .map(|(i, c)| (i, c.weight))
                .collect();
            &CITIES_DE[rng.weighted(&weights)]
        };
        let domain = *rng.pick(&["example.org", "example.com", "example.net"]);
        let email = self.email(&local, domain);
        let phone = match city.country {
            "DE" if rng.chance(85) => Some(self.phone_de()),
            "GB" => Some(self.phone_gb()),
            _ => None,
        };
        Household {
            customer: Customer {
                id: must(CustomerId::parse(id)),
                name: name.clone(),
                email: Some(email),
                phone,
                locale,
                salutation: None,
            },
            place: place_in(rng, city, name),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    German,
    Company,
    English,
    Abroad,
}

/// A neighbour as a driver writes them down.
pub fn neighbour_name(rng: &mut Rng) -> String {
    let title = *rng.pick(&["Familie", "Herr", "Frau"]);
    format!("{title} {}", rng.pick(SURNAMES_DE))
}

/// Lower-case ASCII for the local part of an email address.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'ı' | 'í' => out.push('i'),
            'á' => out.push('a'),
            'ş' => out.push('s'),
            'ç' => out.push('c'),
            'ğ' => out.push('g'),
            'a'..='z' | '0'..='9' => out.push(c),
            ' ' | '-' | '.' if !out.ends_with('-') && !out.is_empty() => out.push('-'),
            _ => {}
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_spell_umlauts_out_and_drop_the_rest() {
        assert_eq!(slug("Brüggemann"), "brueggemann");
        assert_eq!(slug("Yıldız"), "yildiz");
        assert_eq!(slug("Ciarán"), "ciaran");
        assert_eq!(slug("Praxis Dr. Vahle"), "praxis-dr-vahle");
        assert_eq!(slug("Bäckerei Große & Söhne"), "baeckerei-grosse-soehne");
    }

    #[test]
    fn taken_emails_get_a_number() {
        let mut r = Registry::default();
        assert_eq!(r.email("anna.pape", "example.org"), "anna.pape@example.org");
        assert_eq!(
            r.email("anna.pape", "example.org"),
            "anna.pape2@example.org"
        );
    }
}
