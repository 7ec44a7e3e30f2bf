-- Endpoint: POST /api/v1/scripts/account_summary/run, roles ["user", "manager"].
-- Body: {"account_id": "..."}. Answers the account with its contacts.
local req = ...
local id = req.body.account_id
if type(id) ~= "string" then
  error("account_id is required")
end

local account = crm.get("account", id)
if account == nil then
  return {found = false}
end
local contacts = crm.query("contact", {field = "account_id", op = "eq", value = id},
                           {limit = 50, sort = "last_name"})
local names = {}
for i, c in ipairs(contacts) do
  names[i] = (c.fields.first_name or "") .. " " .. c.fields.last_name
end
return {
  found = true,
  name = account.fields.name,
  contacts = #contacts,
  names = names,
  asked_by = crm.user().id,
  at = crm.now(),
}
