//! The page in a real browser: headless Chromium driven over WebDriver
//! (chromedriver). `scripts/test.sh` installs Chromium and chromedriver when
//! they are missing; without them this test fails, it never skips.
//! Screenshots go to `target/browser-screenshots/`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use verbatim::Engine;
use verbatim::{serve as run, AppState};

use super::support::{default_corpus, urlencode};

/// Kills chromedriver when the test ends, however it ends.
struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn shots_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let path = shots_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
}

async fn wait_css(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

/// The text of the first element matching `css`, once it appears.
async fn text_of(c: &Client, css: &str) -> String {
    wait_css(c, css).await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_in_a_real_browser() {
    let chromedriver = which("chromedriver").expect("chromedriver is missing: run `bash scripts/test.sh`, which installs chromium and chromium-driver");
    let chromium = which("chromium")
        .or_else(|| which("chromium-browser"))
        .expect("chromium is missing: run `bash scripts/test.sh`");

    // The server, on a free loopback port.
    let idx = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(&default_corpus(), idx.path()).unwrap();
    let april = {
        let d = engine.document("japan-ai-experiment").unwrap();
        let b = d.text.find("April 2026").unwrap();
        let start = d.text[..b].chars().count();
        (start, start + "April 2026".chars().count())
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(run(
        listener,
        AppState::ready(engine, super::support::contract_limits()),
        std::future::pending(),
    ));

    // chromedriver and a fresh, offline-quiet Chromium profile.
    let port = free_port();
    let _driver = Driver(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--window-size=1200,900",
                     format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    let mut client = None;
    for _ in 0..100 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let c = client.expect("could not start Chromium through chromedriver");
    println!("screenshots in {}", shots_dir().display());

    // 1. Ask a question and see the cited sentence with the answer span.
    c.goto(&format!(
        "{base}/?ask={}",
        urlencode("When was the joint venture set up?")
    ))
    .await
    .unwrap();
    let ans = wait_css(&c, "#ask-results mark.answer").await;
    assert_eq!(ans.text().await.unwrap(), "April 2026");
    let label = text_of(&c, "#ask-results .cite .label").await;
    assert!(label.ends_with("¶9"), "{label}");
    c.find(Locator::XPath("//button[text()='Show in context']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let ctx = wait_css(&c, "#ask-results .context mark.answer").await;
    assert!(ctx.text().await.unwrap().contains("April 2026"));
    shot(&c, "1-ask").await;

    // 2. An unanswerable question gets the honest no-answer.
    c.goto(&format!(
        "{base}/?ask={}",
        urlencode("How many robots does South Korea plan to build?")
    ))
    .await
    .unwrap();
    let none = text_of(&c, "#ask-results .no-answer").await;
    assert!(
        none.contains("No answer in these sources.") && none.contains("South, Korea"),
        "{none}"
    );
    let related = text_of(&c, "#ask-results .not-answer .badge").await;
    assert_eq!(related.to_lowercase(), "not an answer");
    shot(&c, "2-no-answer").await;

    // 3. Search a phrase, typed into the form, and see its highlights.
    c.goto(&format!("{base}/")).await.unwrap();
    wait_css(&c, "#tab-search").await.click().await.unwrap();
    wait_css(&c, "#search-input")
        .await
        .send_keys("\"sovereign AI\"")
        .await
        .unwrap();
    c.find(Locator::Css("#search-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let hit = wait_css(&c, "#search-results .hit mark").await;
    assert_eq!(hit.text().await.unwrap(), "sovereign AI");
    let summary = text_of(&c, "#search-results .summary").await;
    assert!(summary.starts_with("2 passages match"), "{summary}");
    assert!(
        c.current_url().await.unwrap().as_str().contains("?q="),
        "the URL carries the search"
    );
    shot(&c, "3-search").await;

    // 4. Check an altered quote and see the changed number marked.
    c.goto(&format!(
        "{base}/?check={}",
        urlencode("Japan has approved about $8.3 billion for a homegrown sovereign AI model")
    ))
    .await
    .unwrap();
    let verdict = text_of(&c, "#check-results .verdict").await;
    assert_eq!(verdict.to_lowercase(), "altered");
    assert_eq!(text_of(&c, "#check-results .diff ins").await, "8.3");
    assert_eq!(text_of(&c, "#check-results .diff del").await, "6.3");
    assert!(
        c.find(Locator::Css("#check-results button.copy"))
            .await
            .is_ok(),
        "a copy-citation button"
    );
    shot(&c, "4-check").await;

    // 4b. One quote that holds quotation marks is checked as given, whole.
    c.goto(&format!(
        "{base}/?check={}",
        urlencode("a homegrown “sovereign AI” model tied to robotics")
    ))
    .await
    .unwrap();
    let verdict = text_of(&c, "#check-results .verdict").await;
    assert_eq!(verdict.to_lowercase(), "verbatim");

    // 4c. A draft whose quotation holds another: one quotation, whole.
    c.goto(&format!(
        "{base}/?mode=draft&check={}",
        urlencode("Analysts noted that Japan tried “grand tech projects before, like the 1980s “Fifth Generation Computer” effort that spent hundreds of millions” and failed.")
    ))
    .await
    .unwrap();
    // (The verdict comes with the answer; the summary is then final.)
    let verdict = text_of(&c, "#check-results .verdict").await;
    let summary = text_of(&c, "#check-results .summary").await;
    assert_eq!(
        (summary.as_str(), verdict.to_lowercase().as_str()),
        ("1 quotation found.", "verbatim")
    );
    assert!(
        c.find(Locator::Css("#check-mode-draft:checked"))
            .await
            .is_ok(),
        "the URL's mode is shown"
    );

    // 4d. The draft view: each quotation marked in place by its verdict,
    // a CSV download, an ellipsis read as neutral, the source's wording to copy.
    c.goto(&format!(
        "{base}/?mode=draft&check={}",
        urlencode("The paper says “Japan is losing workers fast” and that “Japan has approved about $8.3 billion for a homegrown model”. Officials add: “Their goal is to create one of Japan’s largest foundation models … and then plug it into factories.”")
    ))
    .await
    .unwrap();
    wait_css(&c, "#check-results .draft a.q").await;
    let mut marks = Vec::new();
    for m in c
        .find_all(Locator::Css("#check-results .draft a.q"))
        .await
        .unwrap()
    {
        marks.push((
            m.attr("class").await.unwrap().unwrap_or_default(),
            m.text().await.unwrap(),
        ));
    }
    assert_eq!(
        marks,
        [
            ("q verbatim".to_string(), "Japan is losing workers fast".to_string()),
            (
                "q altered".to_string(),
                "Japan has approved about $8.3 billion for a homegrown model".to_string()
            ),
            (
                "q verbatim".to_string(),
                "Their goal is to create one of Japan’s largest foundation models … and then plug it into factories.".to_string()
            ),
        ]
    );
    assert!(
        c.find(Locator::Css("#check-results button.csv"))
            .await
            .is_ok(),
        "a CSV download"
    );
    assert_eq!(
        text_of(&c, "#quote-3 .diff .elided").await,
        "… by around 2027 …"
    );
    assert!(
        c.find(Locator::Css("#quote-3 .diff del")).await.is_err(),
        "an ellipsis is not an error"
    );
    assert!(
        c.find(Locator::Css("#quote-2 button.copy-wording"))
            .await
            .is_ok(),
        "the source's exact wording to copy"
    );
    let first = text_of(&c, "#quote-1").await;
    assert!(
        !first.contains("null"),
        "a card shows only what it has: {first}"
    );
    shot(&c, "4d-draft").await;

    // 5. A permalink lands on the highlighted span, scrolled into view.
    c.goto(&format!(
        "{base}/p/japan-ai-experiment:p9?start={}&end={}",
        april.0, april.1
    ))
    .await
    .unwrap();
    let cited = wait_css(&c, "mark.cited").await;
    assert_eq!(cited.text().await.unwrap(), "April 2026");
    let visible = c
        .execute("const r = document.querySelector('mark.cited').getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;", vec![])
        .await
        .unwrap();
    assert_eq!(visible, serde_json::Value::Bool(true));
    shot(&c, "5-permalink").await;

    // The documents list shows metadata and the source notes.
    c.goto(&format!("{base}/?tab=docs")).await.unwrap();
    wait_css(&c, "#docs-list .doc").await;
    let docs = c.find_all(Locator::Css("#docs-list .doc")).await.unwrap();
    assert_eq!(docs.len(), 10);
    let lead = text_of(&c, "#docs-list .doc .lead").await;
    assert!(lead.starts_with("A humanoid robot"), "{lead}");
    shot(&c, "6-documents").await;

    // Narrow screens: nothing overflows sideways.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!(
        "{base}/?ask={}",
        urlencode("Which companies are leading the new venture?")
    ))
    .await
    .unwrap();
    wait_css(&c, "#ask-results mark.answer").await;
    let fits = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        fits,
        serde_json::Value::Bool(true),
        "the page overflows a 390px-wide window"
    );
    shot(&c, "7-narrow").await;

    c.close().await.unwrap();
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.is_file())
}
