//! The contract every [`Table`] backend must honour, run against SQLite and against
//! DynamoDB (moto's server). Each case is a plain async function taking the backend; the
//! macro at the bottom instantiates it once per backend.

use std::sync::Arc;
use std::time::Duration;

use kratos_core::clock::{Clock, ManualClock, SharedClock};
use kratos_core::store::{
    Condition, Index, IndexKey, Item, Key, PageTokens, Query, SharedTable, SortKeyCondition,
    StoreError, WriteOp,
};
use kratos_core::testing::Backend;
use serde_json::json;
use time::macros::datetime;

struct Fixture {
    table: SharedTable,
    clock: Arc<ManualClock>,
}

async fn fixture(backend: Backend) -> Fixture {
    let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 00:00:00 UTC)));
    let shared: SharedClock = clock.clone();
    Fixture {
        table: backend.fresh_table(shared).await,
        clock,
    }
}

fn item(pk: &str, sk: &str, body: serde_json::Value) -> Item {
    Item::new(Key::new(pk, sk), "test", body)
}

fn put(item: Item, condition: Condition) -> WriteOp {
    WriteOp::Put { item, condition }
}

async fn put_then_get_round_trips_every_field(backend: Backend) {
    let f = fixture(backend).await;
    let body = json!({
        "text": "grüße ✓", "empty": "", "int": -42, "big": 9_007_199_254_740_993u64,
        "float": 1.5, "flag": true, "none": null, "list": [1, "two", {"three": 3}],
        "nested": {"deeper": {"x": []}}, "empty_object": {}
    });
    let original = item("A#1", "A", body)
        .with_gsi1(IndexKey::new("G1", "s1"))
        .with_gsi2(IndexKey::new("G2", "s2"))
        .with_gsi3(IndexKey::new("G3", "s3"))
        .expiring_at(f.clock.unix() + 3600)
        .with_version(7);
    f.table
        .write(vec![put(original.clone(), Condition::None)])
        .await
        .unwrap();
    let read = f.table.get(&Key::new("A#1", "A")).await.unwrap().unwrap();
    assert_eq!(read, original);
}

async fn a_missing_key_reads_as_none(backend: Backend) {
    let f = fixture(backend).await;
    assert!(
        f.table
            .get(&Key::new("nope", "nope"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.table
            .get_many(&[Key::new("nope", "nope")])
            .await
            .unwrap()
            .is_empty()
    );
}

async fn get_many_returns_only_the_live_items_found(backend: Backend) {
    let f = fixture(backend).await;
    f.table
        .write(vec![
            put(item("M#1", "M", json!(1)), Condition::None),
            put(item("M#2", "M", json!(2)), Condition::None),
            put(
                item("M#3", "M", json!(3)).expiring_at(f.clock.unix() + 1),
                Condition::None,
            ),
        ])
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(2));
    let mut found = f
        .table
        .get_many(&[
            Key::new("M#1", "M"),
            Key::new("M#2", "M"),
            Key::new("M#3", "M"),
            Key::new("M#4", "M"),
        ])
        .await
        .unwrap();
    found.sort_by(|a, b| a.key.cmp(&b.key));
    let bodies: Vec<_> = found.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, vec![json!(1), json!(2)]);
}

async fn an_identifier_cannot_be_claimed_twice(backend: Backend) {
    let f = fixture(backend).await;
    let claim = |owner: &str| {
        put(
            item("CID#a@example.com", "password", json!({"owner": owner})),
            Condition::Absent,
        )
    };
    f.table.write(vec![claim("first")]).await.unwrap();
    let err = f.table.write(vec![claim("second")]).await.unwrap_err();
    assert!(
        matches!(err, StoreError::ConditionFailed { index: 0 }),
        "{err:?}"
    );
    let held = f
        .table
        .get(&Key::new("CID#a@example.com", "password"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.body["owner"], "first");
}

async fn concurrent_claims_leave_exactly_one_winner(backend: Backend) {
    let f = fixture(backend).await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let table = f.table.clone();
        tasks.push(tokio::spawn(async move {
            // Each claim is a two-item transaction, as identity creation is.
            table
                .write(vec![
                    put(
                        item(&format!("IDN#{n}"), "IDN", json!({"n": n})),
                        Condition::Absent,
                    ),
                    put(
                        item("CID#race@example.com", "password", json!({"owner": n})),
                        Condition::Absent,
                    ),
                ])
                .await
        }));
    }
    let mut winners = Vec::new();
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(()) => winners.push(n),
            Err(StoreError::ConditionFailed { .. } | StoreError::TransactionConflict) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let held = f
        .table
        .get(&Key::new("CID#race@example.com", "password"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.body["owner"], json!(winners[0]));
    for n in 0..8 {
        let identity = f
            .table
            .get(&Key::new(format!("IDN#{n}"), "IDN"))
            .await
            .unwrap();
        assert_eq!(
            identity.is_some(),
            n == winners[0],
            "identity {n} half-written"
        );
    }
}

async fn a_multi_item_write_happens_whole_or_not_at_all(backend: Backend) {
    let f = fixture(backend).await;
    f.table
        .write(vec![put(
            item("T#taken", "T", json!("old")),
            Condition::None,
        )])
        .await
        .unwrap();
    let err = f
        .table
        .write(vec![
            put(item("T#new", "T", json!("new")), Condition::Absent),
            put(
                item("T#taken", "T", json!("overwritten")),
                Condition::Absent,
            ),
            WriteOp::Delete {
                key: Key::new("T#other", "T"),
                condition: Condition::None,
            },
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ConditionFailed { index: 1 }),
        "{err:?}"
    );
    assert!(
        f.table
            .get(&Key::new("T#new", "T"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        f.table
            .get(&Key::new("T#taken", "T"))
            .await
            .unwrap()
            .unwrap()
            .body,
        json!("old")
    );
}

async fn a_failed_check_fails_the_whole_write(backend: Backend) {
    let f = fixture(backend).await;
    let err = f
        .table
        .write(vec![
            put(item("C#1", "C", json!(1)), Condition::None),
            WriteOp::Check {
                key: Key::new("C#required", "C"),
                condition: Condition::Present,
            },
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ConditionFailed { index: 1 }),
        "{err:?}"
    );
    assert!(f.table.get(&Key::new("C#1", "C")).await.unwrap().is_none());
}

async fn a_stale_update_is_rejected(backend: Backend) {
    let f = fixture(backend).await;
    let key = Key::new("V#1", "V");
    f.table
        .write(vec![put(
            item("V#1", "V", json!("v1")).with_version(1),
            Condition::Absent,
        )])
        .await
        .unwrap();
    // Two writers read version 1; the first update wins, the second is stale.
    f.table
        .write(vec![put(
            item("V#1", "V", json!("v2-a")).with_version(2),
            Condition::Version(1),
        )])
        .await
        .unwrap();
    let err = f
        .table
        .write(vec![put(
            item("V#1", "V", json!("v2-b")).with_version(2),
            Condition::Version(1),
        )])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ConditionFailed { index: 0 }),
        "{err:?}"
    );
    let current = f.table.get(&key).await.unwrap().unwrap();
    assert_eq!((current.version, current.body), (2, json!("v2-a")));
    // A version condition on a missing item fails too.
    let err = f
        .table
        .write(vec![put(
            item("V#missing", "V", json!(1)),
            Condition::Version(1),
        )])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed { .. }));
}

async fn conditional_deletes_apply_only_when_the_condition_holds(backend: Backend) {
    let f = fixture(backend).await;
    f.table
        .write(vec![put(
            item("D#1", "D", json!(1)).with_version(3),
            Condition::None,
        )])
        .await
        .unwrap();
    let err = f
        .table
        .write(vec![WriteOp::Delete {
            key: Key::new("D#1", "D"),
            condition: Condition::Version(2),
        }])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed { .. }));
    f.table
        .write(vec![WriteOp::Delete {
            key: Key::new("D#1", "D"),
            condition: Condition::Version(3),
        }])
        .await
        .unwrap();
    assert!(f.table.get(&Key::new("D#1", "D")).await.unwrap().is_none());
    let err = f
        .table
        .write(vec![WriteOp::Delete {
            key: Key::new("D#1", "D"),
            condition: Condition::Present,
        }])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed { .. }));
}

async fn expired_items_are_invisible_before_ttl_removes_them(backend: Backend) {
    let f = fixture(backend).await;
    let now = f.clock.unix();
    f.table
        .write(vec![
            put(
                item("E#1", "E", json!("short"))
                    .with_gsi1(IndexKey::new("EXP", "1"))
                    .expiring_at(now + 10),
                Condition::None,
            ),
            put(
                item("E#2", "E", json!("long"))
                    .with_gsi1(IndexKey::new("EXP", "2"))
                    .expiring_at(now + 1000),
                Condition::None,
            ),
        ])
        .await
        .unwrap();
    assert!(f.table.get(&Key::new("E#1", "E")).await.unwrap().is_some());
    f.clock.advance(Duration::from_secs(10));
    assert!(
        f.table.get(&Key::new("E#1", "E")).await.unwrap().is_none(),
        "expired at its TTL"
    );
    let page = f
        .table
        .query(&Query::new(Index::Gsi1, "EXP"))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].body, json!("long"));
    // An expired item no longer blocks a claim on its key, and is not Present.
    let err = f
        .table
        .write(vec![WriteOp::Check {
            key: Key::new("E#1", "E"),
            condition: Condition::Present,
        }])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed { .. }));
    f.table
        .write(vec![put(
            item("E#1", "E", json!("reclaimed")),
            Condition::Absent,
        )])
        .await
        .unwrap();
    assert_eq!(
        f.table
            .get(&Key::new("E#1", "E"))
            .await
            .unwrap()
            .unwrap()
            .body,
        json!("reclaimed")
    );
}

async fn queries_return_sort_key_order_in_pages(backend: Backend) {
    let f = fixture(backend).await;
    let order = ["05", "01", "07", "03", "02", "06", "04"];
    let ops = order
        .iter()
        .map(|n| {
            put(
                item(&format!("P#{n}"), "P", json!(n)).with_gsi1(IndexKey::new("PAGED", *n)),
                Condition::None,
            )
        })
        .collect();
    f.table.write(ops).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = f
            .table
            .query(
                &Query::new(Index::Gsi1, "PAGED")
                    .limit(3)
                    .after(cursor.take()),
            )
            .await
            .unwrap();
        pages += 1;
        seen.extend(
            page.items
                .iter()
                .map(|i| i.body.as_str().unwrap().to_owned()),
        );
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["01", "02", "03", "04", "05", "06", "07"]);
    assert_eq!(pages, 3);

    let page = f
        .table
        .query(&Query::new(Index::Gsi1, "PAGED").limit(2).descending(true))
        .await
        .unwrap();
    let bodies: Vec<_> = page.items.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, vec![json!("07"), json!("06")]);
    let page = f
        .table
        .query(
            &Query::new(Index::Gsi1, "PAGED")
                .limit(2)
                .descending(true)
                .after(page.next),
        )
        .await
        .unwrap();
    let bodies: Vec<_> = page.items.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, vec![json!("05"), json!("04")]);

    // An exact fit leaves no next page.
    let page = f
        .table
        .query(&Query::new(Index::Gsi1, "PAGED").limit(7))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 7);
    assert!(page.next.is_none());
}

async fn pages_stay_full_when_items_in_between_expired(backend: Backend) {
    let f = fixture(backend).await;
    let now = f.clock.unix();
    let mut ops = Vec::new();
    for n in 0..10 {
        let mut it = item(&format!("X#{n}"), "X", json!(n))
            .with_gsi2(IndexKey::new("MIXED", format!("{n:02}")));
        if n % 2 == 0 {
            it = it.expiring_at(now + 5);
        }
        ops.push(put(it, Condition::None));
    }
    f.table.write(ops).await.unwrap();
    f.clock.advance(Duration::from_secs(6));
    let first = f
        .table
        .query(&Query::new(Index::Gsi2, "MIXED").limit(3))
        .await
        .unwrap();
    let bodies: Vec<_> = first.items.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, vec![json!(1), json!(3), json!(5)]);
    let second = f
        .table
        .query(&Query::new(Index::Gsi2, "MIXED").limit(3).after(first.next))
        .await
        .unwrap();
    let bodies: Vec<_> = second.items.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, vec![json!(7), json!(9)]);
    assert!(second.next.is_none());
}

async fn sort_key_conditions_select_ranges(backend: Backend) {
    let f = fixture(backend).await;
    let ops = ["SES#a", "SES#b", "FLW#a", "SESX", "SE"]
        .iter()
        .map(|sk| put(item("R#1", sk, json!(sk)), Condition::None))
        .collect();
    f.table.write(ops).await.unwrap();
    let page = f
        .table
        .query(&Query::new(Index::Table, "R#1").sort(SortKeyCondition::BeginsWith("SES#".into())))
        .await
        .unwrap();
    let bodies: Vec<_> = page.items.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, vec![json!("SES#a"), json!("SES#b")]);
    let page = f
        .table
        .query(
            &Query::new(Index::Table, "R#1")
                .sort(SortKeyCondition::Between("SE".into(), "SES#a".into())),
        )
        .await
        .unwrap();
    let bodies: Vec<_> = page.items.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, vec![json!("SE"), json!("SES#a")]);
    let page = f
        .table
        .query(&Query::new(Index::Table, "R#other"))
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
}

async fn malformed_batches_are_refused_before_writing(backend: Backend) {
    let f = fixture(backend).await;
    assert!(matches!(
        f.table.write(vec![]).await,
        Err(StoreError::Invalid(_))
    ));
    let too_many: Vec<_> = (0..101)
        .map(|n| put(item(&format!("B#{n}"), "B", json!(n)), Condition::None))
        .collect();
    assert!(matches!(
        f.table.write(too_many).await,
        Err(StoreError::Invalid(_))
    ));
    let duplicate = vec![
        put(item("B#dup", "B", json!(1)), Condition::None),
        put(item("B#dup", "B", json!(2)), Condition::None),
    ];
    assert!(matches!(
        f.table.write(duplicate).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(f.table.get(&Key::new("B#0", "B")).await.unwrap().is_none());
    assert!(
        f.table
            .get(&Key::new("B#dup", "B"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn sealed_page_tokens_resume_a_listing_and_tampering_is_detected(backend: Backend) {
    let f = fixture(backend).await;
    let tokens = PageTokens::new(&["a-sufficiently-long-secret"]);
    let ops = (0..5)
        .map(|n| {
            put(
                item(&format!("L#{n}"), "L", json!(n))
                    .with_gsi3(IndexKey::new("LIST", n.to_string())),
                Condition::None,
            )
        })
        .collect();
    f.table.write(ops).await.unwrap();
    let first = f
        .table
        .query(&Query::new(Index::Gsi3, "LIST").limit(2))
        .await
        .unwrap();
    let token = tokens.seal("list", first.next.as_ref().unwrap());
    let cursor = tokens.open("list", &token).unwrap();
    let second = f
        .table
        .query(&Query::new(Index::Gsi3, "LIST").limit(2).after(Some(cursor)))
        .await
        .unwrap();
    let bodies: Vec<_> = second.items.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, vec![json!(2), json!(3)]);

    let mut tampered = token.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    assert!(
        tokens
            .open("list", std::str::from_utf8(&tampered).unwrap())
            .is_err()
    );
    assert!(tokens.open("other-listing", &token).is_err());
}

async fn ping_succeeds_on_a_reachable_table(backend: Backend) {
    let f = fixture(backend).await;
    f.table.ping().await.unwrap();
}

kratos_core::on_both_backends!(
    put_then_get_round_trips_every_field,
    a_missing_key_reads_as_none,
    get_many_returns_only_the_live_items_found,
    an_identifier_cannot_be_claimed_twice,
    concurrent_claims_leave_exactly_one_winner,
    a_multi_item_write_happens_whole_or_not_at_all,
    a_failed_check_fails_the_whole_write,
    a_stale_update_is_rejected,
    conditional_deletes_apply_only_when_the_condition_holds,
    expired_items_are_invisible_before_ttl_removes_them,
    queries_return_sort_key_order_in_pages,
    pages_stay_full_when_items_in_between_expired,
    sort_key_conditions_select_ranges,
    malformed_batches_are_refused_before_writing,
    sealed_page_tokens_resume_a_listing_and_tampering_is_detected,
    ping_succeeds_on_a_reachable_table,
);
