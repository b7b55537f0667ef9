-- Tapstand schema, version 6: who owns a call in flight, and which API a scheme came from.
--
-- in_flight_owner: the token of the open database handle (one per process, see tapstand-store's `owner`
--                  module) that sent the call in flight. While that handle's lock file is locked the
--                  call is alive; once it is not (crash, kill, power cut) the row is recovered at once
--                  instead of waiting for the lease to end.
-- api_base:        the WeChat API base URL the row's calls went to ('https://api.weixin.qq.com' for the
--                  real one). A production build writes only links from the official API to tags.
--                  '' = recorded before this column existed.

ALTER TABLE scheme_ledger ADD COLUMN in_flight_owner TEXT;
ALTER TABLE scheme_ledger ADD COLUMN api_base TEXT NOT NULL DEFAULT '';
