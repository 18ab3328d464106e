//! Real cities with their real postcodes and approximate centres, generic street names,
//! the demo shop's returns warehouse, and addresses with a point on the map.

use crate::domain::{Address, GeoPoint};

use super::rng::Rng;

/// A city the demo ships to. `hub` names the parcel centre region that serves it.
pub struct City {
    pub name: &'static str,
    pub country: &'static str,
    pub postcodes: &'static [&'static str],
    pub lat: f64,
    pub lon: f64,
    pub hub: &'static str,
    pub weight: u32,
}

const fn de(
    name: &'static str,
    postcodes: &'static [&'static str],
    lat: f64,
    lon: f64,
    hub: &'static str,
    weight: u32,
) -> City {
    City {
        name,
        country: "DE",
        postcodes,
        lat,
        lon,
        hub,
        weight,
    }
}

/// German cities, weighted towards Ostwestfalen-Lippe where the demo shop sits.
#[rustfmt::skip]
pub const CITIES_DE: &[City] = &[
    de("Paderborn", &["33098", "33100", "33102"], 51.7189, 8.7575, "Bielefeld", 14),
    de("Bielefeld", &["33602", "33604", "33607", "33609", "33611", "33613", "33615"], 52.0302, 8.5325, "Bielefeld", 12),
    de("Gütersloh", &["33330", "33332", "33334"], 51.9069, 8.3785, "Bielefeld", 4),
    de("Detmold", &["32756", "32758", "32760"], 51.9387, 8.8791, "Bielefeld", 3),
    de("Salzkotten", &["33154"], 51.6706, 8.6020, "Bielefeld", 2),
    de("Bad Lippspringe", &["33175"], 51.7817, 8.8173, "Bielefeld", 2),
    de("Münster", &["48143", "48145", "48147", "48149", "48151"], 51.9607, 7.6261, "Greven", 4),
    de("Osnabrück", &["49074", "49076"], 52.2799, 8.0472, "Greven", 2),
    de("Dortmund", &["44135", "44137", "44139"], 51.5136, 7.4653, "Hagen", 4),
    de("Essen", &["45127", "45128"], 51.4556, 7.0116, "Dorsten", 3),
    de("Köln", &["50667", "50668", "50670", "50672", "50674", "50676", "50677"], 50.9375, 6.9603, "Köln", 6),
    de("Bonn", &["53111", "53113", "53115"], 50.7374, 7.0982, "Köln", 2),
    de("Düsseldorf", &["40210", "40211", "40212", "40213", "40215"], 51.2277, 6.7735, "Krefeld", 4),
    de("Aachen", &["52062", "52064", "52066"], 50.7753, 6.0839, "Köln", 2),
    de("Berlin", &["10115", "10117", "10119", "10178", "10243", "10245", "10437", "10999", "12043"], 52.5200, 13.4050, "Börnicke", 8),
    de("Hamburg", &["20095", "20097", "20099", "20144", "20249", "22767"], 53.5511, 9.9937, "Hamburg", 6),
    de("Kiel", &["24103", "24105"], 54.3233, 10.1228, "Neumünster", 2),
    de("Bremen", &["28195", "28197", "28199", "28203"], 53.0793, 8.8017, "Bremen", 3),
    de("Hannover", &["30159", "30161", "30163", "30169"], 52.3759, 9.7320, "Hannover", 4),
    de("Kassel", &["34117", "34119", "34121"], 51.3127, 9.4797, "Kassel", 2),
    de("Leipzig", &["04103", "04107", "04109"], 51.3397, 12.3731, "Radefeld", 3),
    de("Dresden", &["01067", "01069", "01097", "01099"], 51.0504, 13.7373, "Ottendorf-Okrilla", 2),
    de("Rostock", &["18055", "18057"], 54.0924, 12.0991, "Rostock", 1),
    de("Frankfurt am Main", &["60311", "60313", "60316", "60318", "60322", "60594"], 50.1109, 8.6821, "Obertshausen", 5),
    de("Mainz", &["55116", "55118"], 49.9929, 8.2473, "Saulheim", 2),
    de("Heidelberg", &["69115", "69117"], 49.3988, 8.6724, "Speyer", 1),
    de("Stuttgart", &["70173", "70174", "70176", "70178", "70182"], 48.7758, 9.1829, "Köngen", 4),
    de("Freiburg im Breisgau", &["79098", "79102", "79104"], 47.9990, 7.8421, "Freiburg", 2),
    de("Nürnberg", &["90402", "90403", "90408", "90419", "90429"], 49.4521, 11.0767, "Feucht", 3),
    de("Regensburg", &["93047", "93049"], 49.0134, 12.1016, "Regensburg", 1),
    de("München", &["80331", "80333", "80335", "80336", "80469", "80538", "81667"], 48.1372, 11.5756, "Aschheim", 6),
];

const fn abroad(
    name: &'static str,
    country: &'static str,
    postcodes: &'static [&'static str],
    lat: f64,
    lon: f64,
) -> City {
    City {
        name,
        country,
        postcodes,
        lat,
        lon,
        hub: name,
        weight: 1,
    }
}

/// British and Irish cities for the few customers abroad.
#[rustfmt::skip]
pub const CITIES_ABROAD: &[City] = &[
    abroad("London", "GB", &["EC1V 9HX", "N1 7AA", "SE1 7PB", "E2 8DY"], 51.5074, -0.1278),
    abroad("Manchester", "GB", &["M1 4BT", "M4 1HN"], 53.4808, -2.2426),
    abroad("Leeds", "GB", &["LS1 5AS"], 53.8008, -1.5491),
    abroad("Bristol", "GB", &["BS1 5TR"], 51.4545, -2.5879),
    abroad("Edinburgh", "GB", &["EH1 2NG"], 55.9533, -3.1883),
    abroad("Dublin", "IE", &["D02 XY45", "D08 K2W7"], 53.3498, -6.2603),
    abroad("Cork", "IE", &["T12 RT60"], 51.8985, -8.4756),
];

#[rustfmt::skip]
pub const STREETS_DE: &[&str] = &[
    "Lindenstraße", "Bahnhofstraße", "Hauptstraße", "Schulstraße", "Gartenstraße",
    "Kirchweg", "Mühlenweg", "Birkenallee", "Goethestraße", "Schillerstraße",
    "Ringstraße", "Rosenstraße", "Wiesenweg", "Amselweg", "Drosselweg", "Ahornweg",
    "Kastanienallee", "Bergstraße", "Poststraße", "Am Markt", "Feldstraße",
    "Eichenweg", "Buchenweg", "Lerchenweg", "Talstraße", "Waldstraße", "Friedhofstraße",
    "Sonnenweg", "Kiefernweg", "Brunnenstraße", "Uferstraße", "Mozartstraße",
    "Am Sportplatz", "Im Winkel", "Grüner Weg", "Heideweg", "Finkenweg", "Tulpenweg",
];

#[rustfmt::skip]
pub const STREETS_EN: &[&str] = &[
    "Mill Lane", "Church Street", "Station Road", "Park Avenue", "Victoria Road",
    "High Street", "Main Street", "Harbour View", "Orchard Close", "Meadow Way",
];

/// An address with its point on the map; `hub` is the parcel centre region.
#[derive(Clone, Debug)]
pub struct Place {
    pub addressee: String,
    pub street_name: &'static str,
    pub number: u32,
    pub postcode: &'static str,
    pub city: &'static str,
    pub country: &'static str,
    pub point: GeoPoint,
    pub hub: &'static str,
}

impl Place {
    pub fn street(&self) -> String {
        self.street_with(self.number)
    }

    fn street_with(&self, number: u32) -> String {
        if self.country == "DE" {
            format!("{} {number}", self.street_name)
        } else {
            format!("{number} {}", self.street_name)
        }
    }

    pub fn address(&self) -> Address {
        Address {
            name: self.addressee.clone(),
            street: self.street(),
            postcode: self.postcode.to_string(),
            city: self.city.to_string(),
            country: self.country.to_string(),
        }
    }

    /// The one-line address of a house a few numbers along the same street.
    pub fn neighbour_line(&self, rng: &mut Rng) -> String {
        let delta = *rng.pick(&[-4i64, -2, -1, 1, 2, 4]);
        let n = (i64::from(self.number) + delta).max(1) as u32;
        let n = if n == self.number { n + 1 } else { n };
        format!("{}, {} {}", self.street_with(n), self.postcode, self.city)
    }

    pub fn is_abroad(&self) -> bool {
        self.country != "DE"
    }
}

/// A random place in a city: a generic street, a house number, a point near the centre.
pub fn place_in(rng: &mut Rng, city: &'static City, addressee: String) -> Place {
    let streets = if city.country == "DE" {
        STREETS_DE
    } else {
        STREETS_EN
    };
    Place {
        addressee,
        street_name: rng.one(streets),
        number: rng.range(1, 96) as u32,
        postcode: rng.one(city.postcodes),
        city: city.name,
        country: city.country,
        point: near(
            rng,
            GeoPoint {
                lat: city.lat,
                lon: city.lon,
            },
            2_500.0,
        ),
        hub: city.hub,
    }
}

/// The demo shop's warehouse, where parcels leave and returns arrive.
pub fn warehouse() -> Place {
    Place {
        addressee: "Lindenhof Demo-Shop GmbH, Retouren".to_string(),
        street_name: "Industriestraße",
        number: 14,
        postcode: "33104",
        city: "Paderborn",
        country: "DE",
        point: GeoPoint {
            lat: 51.75312,
            lon: 8.71866,
        },
        hub: "Bielefeld",
    }
}

/// A point within `max_m` metres of `p` (a square, which is near enough), rounded to
/// five decimals (about a metre) so that the JSON stays short.
pub fn near(rng: &mut Rng, p: GeoPoint, max_m: f64) -> GeoPoint {
    let dy = (rng.unit() * 2.0 - 1.0) * max_m;
    let dx = (rng.unit() * 2.0 - 1.0) * max_m;
    offset(p, dy, dx)
}

/// `p` moved `north_m` metres north and `east_m` metres east, rounded to five decimals.
pub fn offset(p: GeoPoint, north_m: f64, east_m: f64) -> GeoPoint {
    let lat = p.lat + north_m / 111_320.0;
    let lon = p.lon + east_m / (111_320.0 * p.lat.to_radians().cos());
    GeoPoint {
        lat: round5(lat),
        lon: round5(lon),
    }
}

fn round5(x: f64) -> f64 {
    (x * 100_000.0).round() / 100_000.0
}
