//! Redis registration store, shared by many S-CSCF / P-CSCF nodes.
//!
//! Layout under a configurable key prefix `P`:
//! * `P` + `reg:` + AOR — a hash, field = binding key text, value = the
//!   encoded binding;
//! * `P` + `exp` — a sorted set of `<len>:<AOR><binding key>` scored by
//!   expiry, for [`RegistrationStore::expire`].
//!
//! Every operation is one MULTI/EXEC transaction or one Lua script, so the
//! hash and the sorted set never disagree. Scripts touch hashes derived
//! from set members, so this layout is for a single Redis (or a primary
//! with replicas), not Redis Cluster. Durability is the server's: run it
//! with `appendonly yes` and `appendfsync always` when bindings must
//! survive a Redis restart.

use redis::aio::MultiplexedConnection;
use redis::Script;

use super::{
    decode_binding, encode_binding, sort_for_expire, sort_for_lookup, Binding, BindingKey,
    RegistrationStore,
};
use crate::codec;
use crate::Result;

/// How many expired bindings one script run removes (bounds the time Redis
/// is blocked).
const EXPIRE_BATCH: usize = 500;

const REMOVE_AOR_LUA: &str = r"
local fields = redis.call('HKEYS', KEYS[1])
for _, f in ipairs(fields) do
  redis.call('ZREM', KEYS[2], ARGV[1] .. f)
end
redis.call('DEL', KEYS[1])
return #fields
";

const EXPIRE_LUA: &str = r"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, m in ipairs(due) do
  local c = string.find(m, ':', 1, true)
  local n = c and tonumber(string.sub(m, 1, c - 1))
  if n then
    local h = ARGV[2] .. string.sub(m, c + 1, c + n)
    local field = string.sub(m, c + n + 1)
    local v = redis.call('HGET', h, field)
    if v then
      table.insert(out, v)
      redis.call('HDEL', h, field)
    end
  end
  redis.call('ZREM', KEYS[1], m)
end
return {#due, out}
";

/// A [`RegistrationStore`] in Redis.
#[derive(Clone)]
pub struct RedisRegistrationStore {
    conn: MultiplexedConnection,
    prefix: String,
    remove_aor: Script,
    expire: Script,
}

impl std::fmt::Debug for RedisRegistrationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRegistrationStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisRegistrationStore {
    /// Connects to `url` (`redis://host:port/db`); every key starts with
    /// `prefix` (e.g. `ims:`), so several deployments or tests can share
    /// one Redis.
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self> {
        let client = redis::Client::open(url)?;
        let conn = client.get_multiplexed_async_connection().await?;
        Ok(Self {
            conn,
            prefix: prefix.into(),
            remove_aor: Script::new(REMOVE_AOR_LUA),
            expire: Script::new(EXPIRE_LUA),
        })
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Deletes every key under the prefix (tests and operator resets).
    /// Uses SCAN, so it does not block the server.
    pub async fn purge(&self) -> Result<u64> {
        let mut conn = self.conn.clone();
        let pattern = format!("{}*", glob_escape(&self.prefix));
        let mut cursor: u64 = 0;
        let mut deleted = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut conn)
                .await?;
            if !keys.is_empty() {
                let n: u64 = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await?;
                deleted += n;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }

    fn hash_key(&self, aor: &str) -> String {
        format!("{}reg:{aor}", self.prefix)
    }

    fn zset_key(&self) -> String {
        format!("{}exp", self.prefix)
    }

    /// The sorted-set member prefix of an AOR (`<len>:<aor>`).
    fn member_prefix(aor: &str) -> String {
        codec::encode([Some(aor)])
    }
}

/// Escapes glob metacharacters for SCAN MATCH.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn decode_all(values: Vec<String>) -> Result<Vec<Binding>> {
    values.iter().map(|v| decode_binding(v)).collect()
}

#[async_trait::async_trait]
impl RegistrationStore for RedisRegistrationStore {
    async fn upsert(&self, b: &Binding) -> Result<()> {
        b.validate()?;
        let field = b.key().to_text();
        let member = format!("{}{field}", Self::member_prefix(&b.aor));
        let mut conn = self.conn.clone();
        let _: () = redis::pipe()
            .atomic()
            .hset(self.hash_key(&b.aor), &field, encode_binding(b))
            .ignore()
            .zadd(self.zset_key(), member, b.expires_at)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    async fn remove(&self, aor: &str, key: &BindingKey) -> Result<bool> {
        let field = key.to_text();
        let member = format!("{}{field}", Self::member_prefix(aor));
        let mut conn = self.conn.clone();
        let (n, _): (u64, u64) = redis::pipe()
            .atomic()
            .hdel(self.hash_key(aor), &field)
            .zrem(self.zset_key(), member)
            .query_async(&mut conn)
            .await?;
        Ok(n > 0)
    }

    async fn remove_aor(&self, aor: &str) -> Result<u64> {
        let mut conn = self.conn.clone();
        let n: u64 = self
            .remove_aor
            .key(self.hash_key(aor))
            .key(self.zset_key())
            .arg(Self::member_prefix(aor))
            .invoke_async(&mut conn)
            .await?;
        Ok(n)
    }

    async fn lookup(&self, aor: &str, now: u64) -> Result<Vec<Binding>> {
        let mut conn = self.conn.clone();
        let values: Vec<String> = redis::cmd("HVALS")
            .arg(self.hash_key(aor))
            .query_async(&mut conn)
            .await?;
        let mut list: Vec<Binding> = decode_all(values)?
            .into_iter()
            .filter(|b| b.is_live(now))
            .collect();
        sort_for_lookup(&mut list);
        Ok(list)
    }

    async fn expire(&self, now: u64) -> Result<Vec<Binding>> {
        let mut conn = self.conn.clone();
        let mut out = Vec::new();
        loop {
            let (scanned, values): (usize, Vec<String>) = self
                .expire
                .key(self.zset_key())
                .arg(now)
                .arg(format!("{}reg:", self.prefix))
                .arg(EXPIRE_BATCH)
                .invoke_async(&mut conn)
                .await?;
            out.extend(decode_all(values)?);
            if scanned < EXPIRE_BATCH {
                break;
            }
        }
        sort_for_expire(&mut out);
        Ok(out)
    }

    async fn count(&self, now: u64) -> Result<u64> {
        let mut conn = self.conn.clone();
        let n: u64 = redis::cmd("ZCOUNT")
            .arg(self.zset_key())
            .arg(format!("({now}"))
            .arg("+inf")
            .query_async(&mut conn)
            .await?;
        Ok(n)
    }

    /// SCANs the AOR hashes, so it does not block the server.
    async fn all(&self) -> Result<Vec<Binding>> {
        let mut conn = self.conn.clone();
        let pattern = format!("{}reg:*", glob_escape(&self.prefix));
        let mut cursor: u64 = 0;
        let mut out = Vec::new();
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut conn)
                .await?;
            for key in keys {
                let values: Vec<String> =
                    redis::cmd("HVALS").arg(key).query_async(&mut conn).await?;
                out.extend(decode_all(values)?);
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        sort_for_expire(&mut out);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_metacharacters_are_escaped() {
        assert_eq!(glob_escape("ims:t[1]*?\\"), "ims:t\\[1\\]\\*\\?\\\\");
    }

    #[test]
    fn member_prefix_is_self_delimiting() {
        assert_eq!(
            RedisRegistrationStore::member_prefix("sip:a@x"),
            "7:sip:a@x"
        );
    }
}
