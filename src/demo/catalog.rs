//! The demo shop's assortment: invented home and clothing goods, no brands.

use crate::domain::{Money, OrderLine, Sku};

use super::must;
use super::rng::Rng;

/// SKU, German product name, price in cents.
#[rustfmt::skip]
pub const PRODUCTS: &[(&str, &str, i64)] = &[
    ("SHIRT-M", "T-Shirt M", 1990),
    ("SHIRT-L", "T-Shirt L", 1990),
    ("HOODIE-L", "Kapuzenpullover L", 4990),
    ("HOODIE-M", "Kapuzenpullover M", 4990),
    ("SOCKS-3P", "Socken 3er-Pack", 1290),
    ("JEANS-32", "Jeans W32", 6990),
    ("SCARF-GRY", "Schal grau", 2490),
    ("GLOVES-M", "Strickhandschuhe M", 1990),
    ("MUG-BLUE", "Tasse blau", 990),
    ("TEAPOT-1L", "Teekanne 1 l", 3490),
    ("TOWEL-SET", "Handtuch-Set", 2990),
    ("CANDLE-SOY", "Duftkerze Soja", 1490),
    ("BLANKET-WOOL", "Wolldecke", 7990),
    ("LAMP-DESK", "Schreibtischlampe", 5990),
    ("PLANTER-M", "Übertopf M", 2490),
    ("APRON-LIN", "Leinenschürze", 2790),
    ("BAG-CANVAS", "Canvas-Tasche", 1790),
    ("CUSHION-40", "Kissenbezug 40 × 40 cm", 1990),
    ("BOTTLE-750", "Trinkflasche 750 ml", 2290),
    ("NOTEBOOK-A5", "Notizbuch A5", 890),
    ("PEN-SET", "Füller-Set", 3990),
];

/// Shipping is free from this order value on.
pub const FREE_SHIPPING_FROM: i64 = 5000;
pub const SHIPPING_FEE: i64 = 495;

pub fn line(sku: &str, qty: u32) -> OrderLine {
    let (s, name, cents) = PRODUCTS
        .iter()
        .find(|(s, _, _)| *s == sku)
        .copied()
        .unwrap_or(PRODUCTS[0]);
    OrderLine {
        sku: must(Sku::parse(s)),
        name: name.to_string(),
        qty,
        unit_price: Money(cents),
    }
}

/// One to four distinct products, mostly one piece each.
pub fn random_lines(rng: &mut Rng) -> Vec<OrderLine> {
    let n = rng.weighted(&[(1usize, 30), (2, 35), (3, 25), (4, 10)]);
    let mut picked: Vec<usize> = Vec::new();
    while picked.len() < n {
        let i = rng.below(PRODUCTS.len() as u64) as usize;
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked
        .into_iter()
        .map(|i| {
            let qty = rng.weighted(&[(1u32, 80), (2, 15), (3, 5)]);
            line(PRODUCTS[i].0, qty)
        })
        .collect()
}

/// The order total: the lines plus shipping below the free-shipping value.
pub fn total(lines: &[OrderLine]) -> Money {
    let goods: i64 = lines
        .iter()
        .map(|l| l.unit_price.cents() * i64::from(l.qty))
        .sum();
    Money(if goods >= FREE_SHIPPING_FROM {
        goods
    } else {
        goods + SHIPPING_FEE
    })
}

/// The value of some lines' SKUs, as a refund amount.
pub fn value_of(lines: &[OrderLine], skus: &[Sku]) -> Money {
    Money(
        lines
            .iter()
            .filter(|l| skus.contains(&l.sku))
            .map(|l| l.unit_price.cents() * i64::from(l.qty))
            .sum(),
    )
}
