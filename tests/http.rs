//! The HTTP surface, over a real socket.

mod common;

use common::TestDb;
use serde_json::json;

#[tokio::test]
async fn post_graphql_answers_the_first_query() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({"query": "{ organisation(code: \"7100001\") { projects(fiscalYear: 2564) { remaining } } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["data"]["organisation"]["projects"][0]["remaining"],
        "20000.00"
    );
}

#[tokio::test]
async fn graphiql_and_the_sdl_have_their_own_paths_and_healthz_checks_the_database() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let page = client.get(format!("{base}/graphiql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/graphiql/assets/graphiql.min.js"));
    // Every document of queries/ is a tab, each with the header editor filled
    // in for a token.
    for (name, text) in tidtam::http::dashboard::QUERIES {
        let tab = serde_json::to_string(text).unwrap().replace("</", "<\\/");
        assert!(html.contains(&tab), "queries/{name}.graphql is a tab");
    }
    assert_eq!(
        html.matches(r#""headers":"{\n  \"Authorization\": \"Bearer \"\n}""#)
            .count(),
        tidtam::http::dashboard::QUERIES.len(),
        "every tab has the Authorization header ready"
    );
    assert!(!html.contains("https://"), "no asset from another host");
    let js = client
        .get(format!("{base}/graphiql/assets/graphiql.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    // Its name does not change with its version: revalidated, never `immutable`.
    assert_eq!(js.headers()["cache-control"], "public, max-age=3600");
    assert!(js.bytes().await.unwrap().len() > 500_000);
    let missing = client
        .get(format!("{base}/graphiql/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let sdl = client
        .get(format!("{base}/schema.graphql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(sdl, tidtam::graphql::sdl());
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    db.pool.close().await;
    let down = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(down.status(), 503);
}

#[tokio::test]
async fn the_endpoint_follows_the_graphql_over_http_spec() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let url = format!("{base}/graphql");
    // A form or text body (a cross-site "simple request") is refused unread.
    let form = client
        .post(&url)
        .header("content-type", "text/plain")
        .body(r#"{"query":"mutation { __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    // So is a multipart upload without the header that forces a CORS preflight.
    let upload = client
        .post(&url)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 415);
    // Media types follow Accept.
    let ask = |accept: &'static str| {
        client
            .post(&url)
            .header("accept", accept)
            .json(&json!({"query": "{ planEditions { code } }"}))
            .send()
    };
    let gr = ask("application/graphql-response+json").await.unwrap();
    assert!(gr.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/graphql-response+json"));
    let js = ask("application/json").await.unwrap();
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(ask("text/html").await.unwrap().status(), 406);
    // A request error has no data: 400 under graphql-response+json, 200 under json.
    let bad = |accept: &'static str| {
        client
            .post(&url)
            .header("accept", accept)
            .json(&json!({"query": "{ nope }"}))
            .send()
    };
    let strict = bad("application/graphql-response+json").await.unwrap();
    assert_eq!(strict.status(), 400);
    let body: serde_json::Value = strict.json().await.unwrap();
    assert!(
        body.get("data").is_none() && body["errors"].is_array(),
        "{body}"
    );
    assert_eq!(bad("application/json").await.unwrap().status(), 200);
    // GET runs queries, never mutations.
    let q = client
        .get(&url)
        .query(&[("query", "{ planEditions { code } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(q.status(), 200);
    let m = client
        .get(&url)
        .query(&[(
            "query",
            "mutation { reopenReport(input: {id: \"x\", version: 1}) { id } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(m.status(), 405);
    assert_eq!(m.headers()["allow"], "POST");
}

#[tokio::test]
async fn the_dashboard_and_its_documents_are_served_from_the_binary() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let page = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<html lang="th">"#));
    assert!(!html.contains("https://"), "no asset from another host");
    // Compressed when the browser accepts it.
    let js = client
        .get(format!("{base}/assets/app.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(js.headers()["content-encoding"], "gzip");
    let chart = client
        .get(format!("{base}/assets/chart.umd.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(chart.status(), 200);
    // The page runs the documents of queries/, served as they are in the repository.
    let doc = client
        .get(format!("{base}/queries/tracking-report.graphql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(doc, include_str!("../queries/tracking-report.graphql"));
    let none = client
        .get(format!("{base}/queries/nope.graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);
}

#[tokio::test]
async fn a_get_of_the_plan_hierarchy_may_be_cached_and_nothing_else_is() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let token = db.token("officer.hadyai").await;
    let get = |query: &'static str, token: Option<String>| {
        let mut r = client
            .get(format!("{base}/graphql"))
            .query(&[("query", query)]);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        async move {
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 200, "{query}");
            let cache = r
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_string());
            let body: serde_json::Value = r.json().await.unwrap();
            assert!(body["errors"].is_null(), "{query}: {body}");
            cache
        }
    };
    // Reference data: kept an hour, by shared caches too, with a token or not.
    for query in [
        "{ planEditions { code } }",
        "{ nationalStrategies(fiscalYear: 2564) { code goals { code goalTh } } }",
        "{ masterPlans(fiscalYear: 2564) { code subPlans { code } } subPlans(fiscalYear: 2564) { code } }",
    ] {
        assert_eq!(
            get(query, None).await.as_deref(),
            Some("public, max-age=3600"),
            "{query}"
        );
    }
    assert_eq!(
        get("{ planEditions { code } }", Some(token.clone()))
            .await
            .as_deref(),
        Some("public, max-age=3600")
    );
    // Reports reached through the hierarchy are scoped and changing.
    assert_eq!(
        get(
            "{ nationalStrategies(fiscalYear: 2564) { goals { reports(first: 5) { totalCount } } } }",
            Some(token.clone())
        )
        .await
        .as_deref(),
        Some("no-cache, private")
    );
    // Mixed with anything else, or anything else alone: no hint at all.
    for query in [
        "{ planEditions { code } viewer { username } }",
        "{ nationalStrategies(fiscalYear: 2564) { code } monitoringReport(fiscalYear: 2564, provinceCode: \"71\") { planYears } }",
        "{ organisation(code: \"7100001\") { name } }",
    ] {
        let cache = get(query, Some(token.clone())).await;
        assert!(
            cache.as_deref().is_none_or(|c| !c.contains("public") && !c.contains("max-age")),
            "{query}: {cache:?}"
        );
    }
    // A POST is never cached.
    let post = client
        .post(format!("{base}/graphql"))
        .json(&json!({"query": "{ planEditions { code } }"}))
        .send()
        .await
        .unwrap();
    assert!(post.headers().get("cache-control").is_none());
}

/// Decodes a body by its Content-Encoding.
fn decoded(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        Some("br") => brotli::BrotliDecompress(&mut &body[..], &mut out).unwrap(),
        Some("gzip") => {
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out).unwrap();
        }
        None => out.extend_from_slice(body),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    out
}

#[tokio::test]
async fn embedded_files_are_compressed_as_asked_and_revalidated_by_etag() {
    let db = TestDb::empty().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let script = include_bytes!("../assets/graphiql/graphiql.min.js");
    let mut etags = Vec::new();
    for (accept, expected) in [
        ("gzip, deflate, br", Some("br")),
        ("gzip", Some("gzip")),
        ("br;q=0, gzip", Some("gzip")),
        ("br;q=0, gzip;q=0", None),
    ] {
        let r = client
            .get(format!("{base}/graphiql/assets/graphiql.min.js"))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{accept}");
        let encoding = r
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(encoding.as_deref(), expected, "{accept}");
        assert_eq!(r.headers()["vary"], "accept-encoding");
        etags.push(r.headers()["etag"].to_str().unwrap().to_string());
        let body = r.bytes().await.unwrap();
        if expected.is_some() {
            assert!(
                body.len() < script.len() / 3,
                "{accept}: {} bytes",
                body.len()
            );
        }
        assert!(
            decoded(expected, &body) == script,
            "{accept}: the file itself"
        );
    }
    // A strong ETag per representation: the brotli, gzip and plain ones differ.
    assert!(etags.iter().all(|e| e.starts_with('"')), "{etags:?}");
    assert_ne!(etags[0], etags[1]);
    assert_ne!(etags[1], etags[3]);
    assert_eq!(etags[1], etags[2]);

    // The ETag sent back answers 304 with no body, for every embedded kind.
    for (path, cache) in [
        ("/graphiql/assets/graphiql.min.js", "public, max-age=3600"),
        ("/assets/app.js", "public, max-age=3600"),
        ("/queries/tracking-report.graphql", "public, max-age=3600"),
        ("/", "no-cache"),
        ("/graphiql", "no-cache"),
    ] {
        let first = client
            .get(format!("{base}{path}"))
            .header("accept-encoding", "br")
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), 200, "{path}");
        assert_eq!(first.headers()["cache-control"], cache, "{path}");
        let etag = first.headers()["etag"].clone();
        let again = client
            .get(format!("{base}{path}"))
            .header("accept-encoding", "br")
            .header("if-none-match", etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"], etag, "{path}");
        assert_eq!(again.headers()["cache-control"], cache, "{path}");
        assert!(again.bytes().await.unwrap().is_empty(), "{path}");
        let other = client
            .get(format!("{base}{path}"))
            .header("if-none-match", "\"0123456789abcdef0123456789abcdef\"")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 200, "{path}: another ETag is another file");
    }
}

#[tokio::test]
async fn metrics_count_operations_and_readiness_is_separate_from_liveness() {
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let state = tidtam::http::AppState::new(schema, db.pool.clone());
    let draining = state.draining.clone();
    let base = db.serve_with(state).await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client
            .post(format!("{base}/graphql"))
            .json(&serde_json::json!({"query": "query Provinces { provinces { totalCount } }"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    client
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({"query": "query Broken { nothing }"}))
        .send()
        .await
        .unwrap();
    let response = client.get(format!("{base}/metrics")).send().await.unwrap();
    // prometheus-client writes OpenMetrics (a counter's TYPE names the
    // family, its sample ends in _total), so that is the type announced,
    // and the text ends with one `# EOF`.
    assert_eq!(
        response.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(
        text.ends_with("# EOF\n") && text.matches("# EOF").count() == 1,
        "{text}"
    );
    assert!(
        text.contains(r#"tidtam_graphql_requests_total{operation="Provinces",outcome="ok"} 3"#),
        "{text}"
    );
    // A name Tidtam does not know (not in queries/) is `other`: invented
    // names add no series.
    assert!(text.contains(r#"tidtam_graphql_requests_total{operation="other",outcome="error"} 1"#));
    assert!(!text.contains("Broken"), "{text}");
    assert!(
        text.contains(r#"tidtam_graphql_request_duration_seconds_count{operation="Provinces"} 3"#)
    );

    let status = |path: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            client
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("/livez").await, 200);
    assert_eq!(status("/readyz").await, 200);
    draining.start();
    assert_eq!(
        status("/readyz").await,
        503,
        "not ready while shutting down"
    );
    assert_eq!(status("/livez").await, 200, "yet alive");
}

#[tokio::test]
async fn a_json_body_over_its_limit_is_refused_with_a_code_and_uploads_keep_theirs() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    // 2 MiB of variables: far more than a document needs.
    let padding = "ก".repeat(700 * 1024);
    let response = client
        .post(format!("{base}/graphql"))
        .json(&json!({"query": "{ provinces { totalCount } }", "variables": {"pad": padding}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("ขนาดใหญ่เกิน") && message.contains("larger than"),
        "{message}"
    );
    assert!(body.get("data").is_none());

    // A multipart upload of 1.5 MiB is read whole and reaches the import,
    // which rejects the file's content, not its size.
    const IMPORT: &str = "mutation ($file: Upload!) { importElaasSnapshot(file: $file) { rows } }";
    let file = vec![b'x'; 1536 * 1024];
    let token = db.token("officer.hadyai").await;
    let response = common::upload(&base, IMPORT, &file, Some(&token)).await;
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_ne!(
        answer["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
        "{answer:#}"
    );
    assert!(
        answer["errors"][0]["path"][0] == "importElaasSnapshot",
        "{answer:#}"
    );
    // Without a token the same upload is refused before its body is read.
    let response = common::upload(&base, IMPORT, &file, None).await;
    assert_eq!(response.status(), 401);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{answer:#}"
    );

    // The limit is the server's to set (`--max-json-body`).
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let mut state = tidtam::http::AppState::new(schema, db.pool.clone());
    state.limits = std::sync::Arc::new(tidtam::http::ServerLimits {
        max_json_body: 200,
        ..Default::default()
    });
    let small = db.serve_with(state).await;
    for (pad, status) in [(0, 200), (200, 413)] {
        let response = client
            .post(format!("{small}/graphql"))
            .json(&json!({"query": "{ provinces { totalCount } }", "variables": {"pad": "x".repeat(pad)}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "padding {pad}");
    }
}
