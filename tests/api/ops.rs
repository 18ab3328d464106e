use crate::helpers::spawn_app;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ready");
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("verity_http_requests_total"), "{text}");
}

#[tokio::test]
async fn metrics_behind_a_token_answer_only_with_it() {
    let app = crate::helpers::spawn_app_with(|c| {
        c.metrics_token = Some(verity::config::Secret::new("metrics-secret-1"))
    })
    .await;
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-secret-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("verity_http_requests_total")
    );
}

#[tokio::test]
async fn metrics_on_their_own_address_are_not_served_on_the_main_one() {
    // A free port for the metrics listener.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = crate::helpers::spawn_app_with(|c| c.metrics_bind = Some(addr)).await;
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let url = format!("http://{addr}/metrics");
    // The listener starts with the server; give it a moment.
    let mut answer = None;
    for _ in 0..50 {
        if let Ok(r) = app.client.get(&url).send().await {
            answer = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = answer.expect("the metrics address answers");
    assert_eq!(r.status(), 200);
    // Only /metrics lives there.
    let r = app
        .client
        .get(format!("http://{addr}/api/v1/orders/A-100234"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
