#[test]
fn scratch() {
    let today = chrono::NaiveDate::from_ymd_opt(2025, 9, 11).unwrap();
    for t in ["Hallo, laut Portal ist mein Paket zugestellt, es ist aber nicht da.", "A-100234, 33100", "ja, bitte", "Und wo ist Bestellung A-100250?", "Wie lange dauert die Lieferung?"] {
        let s = verity::assistant::understand::signals(t, Some(verity::domain::Locale::De), today, None);
        println!("{t}\n  {s:?}");
    }
}
