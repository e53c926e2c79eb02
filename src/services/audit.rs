//! Proving the webhook history intact: every entry's hash must follow from the previous one.

use crate::db::Store;

use crate::db;

#[derive(Debug, PartialEq, Eq)]
pub enum ChainCheck {
    Intact { entries: u64 },
    Broken { entry_id: i64, reason: &'static str },
}

pub async fn verify(pool: &Store) -> anyhow::Result<ChainCheck> {
    let mut prev = vec![0u8; 32];
    let mut last_id = 0;
    let mut entries = 0;
    loop {
        let page = db::history::page_in_order(pool, last_id, 1000).await?;
        if page.is_empty() {
            return Ok(ChainCheck::Intact { entries });
        }
        for row in page {
            if row.prev_hash != prev {
                return Ok(ChainCheck::Broken {
                    entry_id: row.id,
                    reason: "it does not follow the entry before it (an entry was removed or inserted)",
                });
            }
            if row.as_new().hash(&prev) != row.hash {
                return Ok(ChainCheck::Broken {
                    entry_id: row.id,
                    reason: "its content does not match its hash (it was edited)",
                });
            }
            prev = row.hash;
            last_id = row.id;
            entries += 1;
        }
    }
}
