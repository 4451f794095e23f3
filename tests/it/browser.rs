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

/// axe-core's script, installed by `scripts/test.sh` (npm) under
/// `target/npm`, or wherever `AXE_CORE_JS` says.
fn axe_source() -> String {
    let path = std::env::var_os("AXE_CORE_JS").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/npm/node_modules/axe-core/axe.min.js")
        },
        PathBuf::from,
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing at {} ({e}): run `bash scripts/test.sh`, which installs it with npm",
            path.display()
        )
    })
}

/// Runs axe-core on the page as it stands and fails on any serious or
/// critical violation, naming each rule and the elements it found.
async fn assert_accessible(c: &Client, axe: &str, view: &str) {
    c.execute(axe, vec![]).await.unwrap();
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then((r) => done(
               r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
                 .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        found,
        serde_json::json!([]),
        "axe-core: serious or critical violations on the {view} view"
    );
}

/// Whether the page fits the window's width (nothing overflows sideways).
async fn fits_width(c: &Client) -> bool {
    eval(
        c,
        "return document.documentElement.scrollWidth <= window.innerWidth;",
    )
    .await
        == serde_json::Value::Bool(true)
}

/// Evaluates `js` (a `return` statement) in the page.
async fn eval(c: &Client, js: &str) -> serde_json::Value {
    c.execute(js, vec![]).await.unwrap()
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
    let axe = axe_source();

    // 0. Home says what is loaded and offers questions the sources answer.
    c.goto(&format!("{base}/")).await.unwrap();
    let loaded = text_of(&c, "#home .loaded").await;
    assert!(
        loaded.contains("10 documents")
            && loaded.contains("1 article")
            && loaded.contains("9 source notes"),
        "{loaded}"
    );
    let examples = c.find_all(Locator::Css("#home .examples a")).await.unwrap();
    assert_eq!(examples.len(), 3, "three example questions");
    assert_accessible(&c, &axe, "home").await;
    shot(&c, "0-home").await;
    examples[0].clone().click().await.unwrap();
    wait_css(&c, "#ask-results .card.answer.top mark.answer").await;

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
    assert!(
        label.ends_with("¶8"),
        "¶ counts what a reader counts: {label}"
    );
    // One number per paragraph: the cite line shows the reader's ¶, not
    // the passage id beside it (that goes into the permalink and the copy).
    let line = text_of(&c, "#ask-results .cite .where").await;
    assert!(!line.contains(":p"), "a passage id is shown: {line}");
    // The best answer stands apart; the others sit under "Other passages",
    // and a weak one is labelled and marks no answer span.
    assert_eq!(text_of(&c, "#ask-results .answer-head").await, "Answer");
    assert_eq!(
        text_of(&c, "#ask-results h3.others").await,
        "Other passages"
    );
    let cards = c
        .find_all(Locator::Css("#ask-results .card.answer"))
        .await
        .unwrap();
    assert!(cards.len() > 1, "other passages follow the answer");
    for card in &cards {
        let class = card.attr("class").await.unwrap().unwrap_or_default();
        let answer_marks = card
            .find_all(Locator::Css("mark.answer"))
            .await
            .unwrap()
            .len();
        if class.contains("weak") {
            assert_eq!(answer_marks, 0, "a weak card marks no answer span");
            let badge = card
                .find(Locator::Css(".badge"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(badge.to_lowercase().contains("weak match"), "{badge}");
        }
    }
    assert_accessible(&c, &axe, "ask").await;
    c.find(Locator::XPath("//button[@aria-label='Show in context']"))
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
        none.contains("No answer in these sources.")
            && none.contains("No source uses the words “South” or “Korea”")
            && none.contains("no passage found says how many robots"),
        "{none}"
    );
    let related = text_of(&c, "#ask-results .not-answer .badge").await;
    assert_eq!(related.to_lowercase(), "not an answer");
    assert_accessible(&c, &axe, "no-answer").await;
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
    assert_accessible(&c, &axe, "search").await;
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
    assert_accessible(&c, &axe, "quote check").await;
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
    // Re-checking the citations the view showed: against unchanged
    // sources, every one is still exact.
    c.find(Locator::Css("#check-results button.recheck"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let rechecked = text_of(&c, "#quote-1 .recheck-result").await;
    assert!(
        rechecked.to_lowercase().starts_with("exact") && rechecked.contains("still reads"),
        "{rechecked}"
    );
    assert_accessible(&c, &axe, "draft check").await;
    shot(&c, "4d-draft").await;

    // 5. A malformed address is an error in the view, never a blank page.
    c.goto(&format!("{base}/p/%E0%A4%A")).await.unwrap();
    let err = wait_css(&c, "#passage-view p.error").await;
    assert!(
        err.text().await.unwrap().to_lowercase().contains("passage"),
        "{}",
        err.text().await.unwrap()
    );
    // A permalink lands on the highlighted span, scrolled into view.
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
    // The spaces beside the highlight stay visible: it is drawn inside the span.
    let quote = eval(
        &c,
        "return document.querySelector('#passage-view blockquote').innerText;",
    )
    .await;
    assert!(
        quote.as_str().unwrap().contains("set up in April 2026 by"),
        "{quote}"
    );
    let shadow = eval(
        &c,
        "return getComputedStyle(document.querySelector('mark.cited')).boxShadow;",
    )
    .await;
    assert!(shadow.as_str().unwrap().contains("inset"), "{shadow}");
    let ring = eval(&c, "const m = document.querySelector('mark.cited'); const cs = getComputedStyle(m); return document.activeElement === m && (cs.outlineStyle === 'none' || parseFloat(cs.outlineWidth) + parseFloat(cs.outlineOffset) <= 0);").await;
    assert_eq!(
        ring,
        serde_json::Value::Bool(true),
        "the focused highlight draws nothing over the spaces beside it"
    );
    assert!(
        c.find(Locator::Css("#tab-docs[aria-selected=true]"))
            .await
            .is_ok(),
        "a permalink page marks the Documents tab"
    );
    assert_accessible(&c, &axe, "permalink").await;
    shot(&c, "5-permalink").await;
    c.find(Locator::LinkText("Whole document"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // 5b. The whole document: every paragraph numbered as a reader counts,
    // the caption unnumbered, the cited span highlighted in place.
    let cited = wait_css(&c, "#document-view mark.cited").await;
    assert_eq!(cited.text().await.unwrap(), "April 2026");
    assert_eq!(text_of(&c, "#document-view #p9 .pnum").await, "¶8");
    assert_eq!(
        text_of(&c, "#document-view .para.caption .pnum").await,
        "Caption"
    );
    let nums = eval(&c, "return [...document.querySelectorAll('#document-view .para:not(.caption) .pnum')].map((a) => a.textContent);").await;
    let expect: Vec<String> = (1..=nums.as_array().unwrap().len())
        .map(|n| format!("¶{n}"))
        .collect();
    assert_eq!(nums, serde_json::json!(expect));
    // Keyboard: Tab from the top of the page reaches the paragraph anchors.
    eval(
        &c,
        "document.activeElement.blur(); window.scrollTo(0, 0); return null;",
    )
    .await;
    let mut reached = false;
    for _ in 0..40 {
        c.active_element()
            .await
            .unwrap()
            .send_keys("\u{E004}")
            .await
            .unwrap();
        let on = eval(
            &c,
            "return document.activeElement.matches('#document-view a.pnum');",
        )
        .await;
        if on == serde_json::Value::Bool(true) {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached a paragraph anchor");
    assert_accessible(&c, &axe, "document").await;
    shot(&c, "5b-document").await;

    // A source note's page: its fact lines shown as metadata, with the URL.
    c.goto(&format!("{base}/d/source-insiderpaper-com"))
        .await
        .unwrap();
    wait_css(&c, "#document-view .para").await;
    let meta = text_of(&c, "#document-view dl.meta").await;
    assert!(
        meta.contains("Publisher")
            && meta.contains("Insider Paper")
            && meta.contains("https://insiderpaper.com"),
        "{meta}"
    );

    // The documents list shows the reader's metadata and the source notes.
    c.goto(&format!("{base}/?tab=docs")).await.unwrap();
    wait_css(&c, "#docs-list .doc").await;
    let docs = c.find_all(Locator::Css("#docs-list .doc")).await.unwrap();
    assert_eq!(docs.len(), 10);
    let lead = text_of(&c, "#docs-list .doc .lead").await;
    assert!(
        lead.starts_with("Japan is investing"),
        "a caption is no lead: {lead}"
    );
    let first_key = text_of(&c, "#docs-list .doc:nth-child(2) dl.meta dt").await;
    assert_eq!(first_key, "Source", "the reader's fields come first");
    assert_accessible(&c, &axe, "documents").await;
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
    assert!(
        fits_width(&c).await,
        "the page overflows a 390px-wide window"
    );
    // The four tabs share one row.
    let rows = eval(&c, "return new Set([...document.querySelectorAll('.tabs button')].map((b) => Math.round(b.getBoundingClientRect().top))).size;").await;
    assert_eq!(rows, serde_json::json!(1), "the tab bar wraps at 390px");
    let wrapped = eval(&c, "const b = [...document.querySelectorAll('.tabs button')]; const h = Math.min(...b.map((x) => x.getBoundingClientRect().height)); return b.some((x) => x.getBoundingClientRect().height > h + 2) || document.querySelector('.tabs').scrollWidth > document.querySelector('.tabs').clientWidth;").await;
    assert_eq!(
        wrapped,
        serde_json::Value::Bool(false),
        "a tab's label wraps or the tab bar overflows at 390px"
    );
    // A "who" answer marks names, not the corpus's topic word ("AI").
    let marks = eval(&c, "return [...document.querySelectorAll('#ask-results .card.top mark.answer')].map((m) => m.textContent);").await;
    assert_eq!(
        marks,
        serde_json::json!(["SoftBank, Sony, NEC, and Honda"]),
        "{marks}"
    );
    // "Copy citation" stays on the row of the card's other actions.
    let alone = eval(&c, "return [...document.querySelectorAll('#ask-results .cite .actions')].some((row) => { const items = [...row.children]; const copy = row.querySelector('button.copy'); return items.length > 1 && items.every((i) => i === copy || Math.abs(i.getBoundingClientRect().top - copy.getBoundingClientRect().top) > 4); });").await;
    assert_eq!(
        alone,
        serde_json::Value::Bool(false),
        "Copy citation wraps onto its own line"
    );
    assert_accessible(&c, &axe, "ask at 390px").await;
    shot(&c, "7-narrow").await;

    // Short and long pages put the header at the same place: the scrollbar
    // takes no width it did not already have.
    let left = "return document.querySelector('header.top h1').getBoundingClientRect().left;";
    c.goto(&format!("{base}/?tab=docs")).await.unwrap();
    wait_css(&c, "#docs-list .doc").await;
    let long = eval(&c, left).await;
    c.goto(&format!("{base}/?tab=check")).await.unwrap();
    wait_css(&c, "#check-input").await;
    let short = eval(&c, left).await;
    assert_eq!(
        long, short,
        "the page shifts sideways between short and long pages"
    );
    // The permalink and document views at phone width.
    c.goto(&format!(
        "{base}/p/japan-ai-experiment:p9?start={}&end={}",
        april.0, april.1
    ))
    .await
    .unwrap();
    wait_css(&c, "mark.cited").await;
    assert!(c
        .find(Locator::Css("#tab-docs[aria-selected=true]"))
        .await
        .is_ok());
    assert!(fits_width(&c).await, "the permalink overflows at 390px");
    assert_accessible(&c, &axe, "permalink at 390px").await;
    c.goto(&format!("{base}/d/japan-ai-experiment"))
        .await
        .unwrap();
    wait_css(&c, "#document-view .para").await;
    assert!(fits_width(&c).await, "the document view overflows at 390px");
    assert_accessible(&c, &axe, "document at 390px").await;
    shot(&c, "8-narrow-document").await;

    c.close().await.unwrap();
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.is_file())
}
