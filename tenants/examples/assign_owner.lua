-- Trigger: account, after_create.
-- An assignment rule: accounts in banking and financial services go to the
-- banking desk. Put the id of the desk's user below (GET /api/v1/users).
local BANKING_DESK = "00000000-0000-0000-0000-000000000000"

local ev = ...
local industry = ev.new.industry
if (industry == "Banking" or industry == "Financial Services")
    and ev.record.owner_id ~= BANKING_DESK then
  -- Fields stay as they are ({}): only the owner changes.
  crm.update("account", ev.id, {}, {owner_id = BANKING_DESK})
  crm.log("account", ev.new.name, "assigned to the banking desk")
end
