// A PostgreSQL adapter for the oidc-provider peer: bench/run's "oidc-provider-pg" server.
//
// Why it exists: the default adapter keeps everything in an in-memory LRU, so the plain
// "oidc-provider" peer stores nothing, while Consentry on PostgreSQL commits every token before
// answering. This peer stores every model (tokens, codes, sessions, grants, interactions) in
// PostgreSQL with its defaults (fsync and synchronous_commit on), one autocommit statement per
// adapter call, the way oidc-provider's adapter interface and its contributed SQL adapters are
// meant to be used. It is written for the peer's benefit where there was a choice:
//   - one table, keyed by (model, id), the payload as jsonb;
//   - the secondary lookups (grant, session uid, user code) on partial indexes, so a row that has
//     none of them (a client-credentials token) costs no entry there; one index on the expiry, which
//     any deployment needs to purge expired rows (Consentry's tokens table has one too);
//   - node-postgres' pool with its default size (10 connections), so concurrent commits share
//     PostgreSQL's WAL flushes, kept open when idle (as Consentry's connections are);
//   - every statement named, so each connection parses and plans it once (as Consentry's driver
//     prepares its statements), not on every call.
//
// The interface (oidc-provider 9, lib/adapters/memory_adapter.js is the reference): upsert, find,
// findByUid, findByUserCode, consume, destroy, revokeByGrantId. As there, a row outlives its expiry
// by the provider's clock tolerance, an upsert replaces the whole record (consumed or not), and
// `consumed` is the time it was consumed.

import pg from 'pg';

// The models oidc-provider links to a grant (memory_adapter.js's `grantable`): revokeByGrantId
// removes these.
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_payloads (
  model text NOT NULL,
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oidc_payloads_grant ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (uid) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_expiry ON oidc_payloads (expires_at);
`;

const LIVE = '(expires_at IS NULL OR expires_at > now())';
const READ = 'SELECT payload, extract(epoch FROM consumed_at)::bigint AS consumed FROM oidc_payloads ';

function found(result) {
  const row = result.rows[0];
  if (!row) {
    return undefined;
  }
  return row.consumed ? { ...row.payload, consumed: Number(row.consumed) } : row.payload;
}

// The adapter class oidc-provider instantiates once per model, bound to one pool. oidc-provider
// hands its clockTolerance (seconds) to its own adapter only, so it is passed in here.
export async function pgAdapter(connectionString, clockTolerance) {
  const pool = new pg.Pool({ connectionString, idleTimeoutMillis: 0 });
  pool.on('error', (error) => console.error('pg pool:', error.message));
  await pool.query(SCHEMA);
  // A named statement is prepared once per connection and reused (node-postgres caches it by name).
  const run = (name, text, values) => pool.query({ name, text, values });

  return class PgAdapter {
    constructor(model) {
      this.model = model;
    }

    async upsert(id, payload, expiresIn) {
      const grantId = GRANTABLE.has(this.model) ? payload.grantId ?? null : null;
      const uid = this.model === 'Session' ? payload.uid ?? null : null;
      await run(
        'upsert',
        'INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at) '
          + "VALUES ($1, $2, $3, $4, $5, $6, now() + $7::int * interval '1 second') "
          + 'ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, '
          + 'grant_id = excluded.grant_id, user_code = excluded.user_code, uid = excluded.uid, '
          + 'expires_at = excluded.expires_at, consumed_at = NULL',
        [
          this.model, id, payload, grantId, payload.userCode ?? null, uid,
          typeof expiresIn === 'number' ? expiresIn + clockTolerance : null,
        ],
      );
    }

    async find(id) {
      return this.findBy('find', 'id', id);
    }

    async findByUid(uid) {
      return this.findBy('find-uid', 'uid', uid);
    }

    async findByUserCode(userCode) {
      return this.findBy('find-user-code', 'user_code', userCode);
    }

    // One live row of this model by one of its keys (a constant column name, never user input).
    async findBy(name, column, value) {
      return found(await run(name, `${READ}WHERE model = $1 AND ${column} = $2 AND ${LIVE}`, [this.model, value]));
    }

    async consume(id) {
      await run(
        'consume',
        'UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2',
        [this.model, id],
      );
    }

    async destroy(id) {
      await run('destroy', 'DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', [this.model, id]);
    }

    async revokeByGrantId(grantId) {
      // oidc-provider calls this once per grantable model, all at once: each call its own model's rows.
      await run(
        'revoke-grant',
        'DELETE FROM oidc_payloads WHERE model = $1 AND grant_id = $2',
        [this.model, grantId],
      );
    }
  };
}
