//! The dashboard's Thai web font is inside the binary and served from it, so
//! a machine with no Thai font draws Thai too, and no other host is asked.

mod common;

use common::TestDb;

#[tokio::test]
async fn the_thai_web_font_and_its_licence_are_served_from_the_binary() {
    let db = TestDb::empty().await;
    let base = db.serve().await;
    let css = reqwest::get(format!("{base}/assets/app.css"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for weight in ["400", "700"] {
        let path = format!("/assets/sarabun-thai-{weight}-normal.woff2");
        assert!(css.contains(&path), "app.css names {path}");
        let font = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(font.status(), 200);
        assert_eq!(font.headers()["content-type"], "font/woff2");
        let bytes = font.bytes().await.unwrap();
        assert!(bytes.starts_with(b"wOF2"), "a WOFF2 file");
    }
    let licence = reqwest::get(format!("{base}/assets/LICENSE.sarabun.txt"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(licence.contains("SIL OPEN FONT LICENSE Version 1.1"));
}
