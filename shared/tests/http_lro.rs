//! The long-running-operation poller against scripted ARM answers.

#[allow(dead_code)]
mod http_support;

use azure_core::http::Method;
use http_support::stack as new_stack;
use http_support::{Scripted, answer, json, zero_time};
use serde_json::{Value, json as j};
use std::time::Duration;
use xtcmk::http::{HttpError, RetrySettings};

const VAULT: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1";
const OP: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.KeyVault/locations/westeurope/operationResults/op1";
const API: &str = "2026-02-01";

fn op_url() -> String {
    format!("https://management.azure.com{OP}?api-version={API}")
}

#[tokio::test]
async fn accepted_in_progress_succeeded_is_followed_to_the_end() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Put,
        VAULT,
        vec![answer(
            201,
            &[("azure-asyncoperation", &op_url()), ("retry-after", "2")],
            r#"{"name":"kv1","properties":{"provisioningState":"Accepted"}}"#,
        )],
    );
    scripted.on(
        Method::Get,
        OP,
        vec![
            answer(200, &[("retry-after", "3")], r#"{"status":"Accepted"}"#),
            answer(200, &[("retry-after", "1")], r#"{"status":"inprogress"}"#),
            json(200, j!({"status": "SUCCEEDED"})),
        ],
    );
    scripted.on(
        Method::Get,
        VAULT,
        vec![json(
            200,
            j!({"name": "kv1", "properties": {"provisioningState": "Succeeded"}}),
        )],
    );
    let (stack, sleeper, _) = new_stack(&scripted, zero_time());

    let vault: Value = stack
        .arm(None)
        .unwrap()
        .put_lro(VAULT, API, &j!({"location": "westeurope"}))
        .await
        .unwrap();

    assert_eq!(vault["properties"]["provisioningState"], "Succeeded");
    assert_eq!(scripted.count(Method::Get, OP), 3);
    assert_eq!(
        scripted.count(Method::Get, VAULT),
        1,
        "final GET of the original URL"
    );
    // Each poll waited as the previous answer asked.
    assert_eq!(
        sleeper.requested(),
        vec![
            Duration::from_secs(2),
            Duration::from_secs(3),
            Duration::from_secs(1)
        ]
    );
}

#[tokio::test]
async fn a_failed_operation_is_the_typed_error_with_the_operations_code() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Put,
        VAULT,
        vec![answer(201, &[("azure-asyncoperation", &op_url())], "{}")],
    );
    scripted.on(
        Method::Get,
        OP,
        vec![
            json(200, j!({"status": "InProgress"})),
            json(200, j!({"status": "Failed", "error": {"code": "ConflictError", "message": "A vault with the same name already exists in deleted state."}})),
        ],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let err = stack
        .arm(None)
        .unwrap()
        .put_lro::<_, Value>(VAULT, API, &j!({}))
        .await
        .unwrap_err();
    let e = err.service_error().expect("a service error");
    assert_eq!(e.code.as_deref(), Some("ConflictError"));
    assert_eq!(e.operation_state.as_deref(), Some("Failed"));
    assert_eq!(
        err.to_string(),
        format!(
            "Azure Resource Manager refused PUT {VAULT}: operation Failed ConflictError: A vault with the same name already exists in deleted state."
        )
    );
}

#[tokio::test]
async fn location_polling_until_not_202_then_the_final_body() {
    let action = format!("{VAULT}/keys/k1/rotate");
    let result = "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Test/operationResults/r1";
    let scripted = Scripted::new();
    scripted.on(
        Method::Post,
        &action,
        vec![answer(
            202,
            &[
                ("location", &format!("https://management.azure.com{result}")),
                ("retry-after", "5"),
            ],
            "",
        )],
    );
    scripted.on(
        Method::Get,
        result,
        vec![
            answer(202, &[("retry-after", "1")], ""),
            answer(202, &[], ""),
            json(200, j!({"rotated": true})),
        ],
    );
    let (stack, sleeper, _) = new_stack(&scripted, zero_time());
    let out: Value = stack
        .arm(None)
        .unwrap()
        .post(&action, API, &j!({}))
        .await
        .unwrap();
    assert_eq!(out["rotated"], true);
    assert_eq!(scripted.count(Method::Get, result), 3);
    // 5 s from the POST, 1 s from the first poll, the default 5 s for the second.
    assert_eq!(
        sleeper.requested(),
        vec![
            Duration::from_secs(5),
            Duration::from_secs(1),
            Duration::from_secs(5)
        ]
    );
}

#[tokio::test]
async fn location_polling_failure_is_reported_against_the_original_request() {
    let result = "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Test/operationResults/r2";
    let scripted = Scripted::new();
    scripted.on(
        Method::Delete,
        VAULT,
        vec![answer(
            202,
            &[("location", &format!("https://management.azure.com{result}"))],
            "",
        )],
    );
    scripted.on(
        Method::Get,
        result,
        vec![answer(409, &[], r#"{"error":{"code":"Conflict","message":"the vault is in use by a Cosmos DB account"}}"#)],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let err = stack
        .arm(None)
        .unwrap()
        .delete(VAULT, API)
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "Azure Resource Manager refused DELETE {VAULT}: 409 Conflict"
        )),
        "{err}"
    );
}

#[tokio::test]
async fn provisioning_state_is_polled_on_the_resource() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Put,
        VAULT,
        vec![json(
            201,
            j!({"properties": {"provisioningState": "Creating"}}),
        )],
    );
    scripted.on(
        Method::Get,
        VAULT,
        vec![
            answer(
                200,
                &[("retry-after", "2")],
                r#"{"properties":{"provisioningState":"Updating"}}"#,
            ),
            json(
                200,
                j!({"properties": {"provisioningState": "succeeded"}, "id": "x"}),
            ),
        ],
    );
    let (stack, sleeper, _) = new_stack(&scripted, zero_time());
    let out: Value = stack
        .arm(None)
        .unwrap()
        .put_lro(VAULT, API, &j!({}))
        .await
        .unwrap();
    assert_eq!(out["id"], "x");
    assert_eq!(scripted.count(Method::Get, VAULT), 2);
    assert_eq!(
        sleeper.requested(),
        vec![Duration::from_secs(5), Duration::from_secs(2)]
    );

    // put (not put_lro) does not poll.
    let scripted = Scripted::new();
    scripted.on(
        Method::Put,
        VAULT,
        vec![json(
            201,
            j!({"properties": {"provisioningState": "Creating"}}),
        )],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let _: Value = stack
        .arm(None)
        .unwrap()
        .put(VAULT, API, &j!({}))
        .await
        .unwrap();
    assert_eq!(scripted.count(Method::Get, VAULT), 0);
}

#[tokio::test]
async fn a_provisioning_failure_is_an_error() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Put,
        VAULT,
        vec![json(
            200,
            j!({"properties": {"provisioningState": "Creating"}}),
        )],
    );
    scripted.on(
        Method::Get,
        VAULT,
        vec![json(
            200,
            j!({"properties": {"provisioningState": "Failed"}}),
        )],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let err = stack
        .arm(None)
        .unwrap()
        .put_lro::<_, Value>(VAULT, API, &j!({}))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(": operation Failed: the operation ended Failed"),
        "{err}"
    );
}

#[tokio::test]
async fn polling_is_bounded_in_time() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Put,
        VAULT,
        vec![answer(202, &[("azure-asyncoperation", &op_url())], "")],
    );
    scripted.on(
        Method::Get,
        OP,
        vec![answer(
            200,
            &[("retry-after", "60")],
            r#"{"status":"Running"}"#,
        )],
    );
    let settings = RetrySettings {
        operation_timeout: Duration::from_secs(300),
        ..zero_time()
    };
    let (stack, sleeper, _) = new_stack(&scripted, settings);
    let err = stack
        .arm(None)
        .unwrap()
        .put_lro::<_, Value>(VAULT, API, &j!({}))
        .await
        .unwrap_err();
    let HttpError::Timeout(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.state, "Running");
    assert_eq!(t.waited, Duration::from_secs(245));
    assert_eq!(
        sleeper.requested().iter().sum::<Duration>(),
        Duration::from_secs(245)
    );
    assert!(err.hint().unwrap().contains("XTCMK_OPERATION_TIMEOUT_SECS"));
}

#[tokio::test]
async fn polling_urls_on_other_hosts_are_refused() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Put,
        VAULT,
        vec![answer(
            201,
            &[("azure-asyncoperation", "https://evil.example/op")],
            "{}",
        )],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let err = stack
        .arm(None)
        .unwrap()
        .put_lro::<_, Value>(VAULT, API, &j!({}))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("refusing to follow a link to https://evil.example"),
        "{err}"
    );
    assert_eq!(scripted.seen().len(), 1);
}

#[tokio::test]
async fn delete_reports_whether_something_was_deleted() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Delete,
        VAULT,
        vec![answer(200, &[], ""), answer(204, &[], "")],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let arm = stack.arm(None).unwrap();
    assert!(arm.delete(VAULT, API).await.unwrap());
    assert!(!arm.delete(VAULT, API).await.unwrap());
}
