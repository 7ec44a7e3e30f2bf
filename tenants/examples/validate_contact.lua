-- Trigger: contact, before_create and before_update.
-- A validation rule: a contact needs an e-mail address or a phone number,
-- and a last name that is not shouting.
local ev = ...
local c = ev.new

if not c.email and not c.phone then
  crm.error("email", "give an e-mail address or a phone number")
end
if c.last_name and #c.last_name > 3 and c.last_name == c.last_name:upper() then
  crm.error("last_name", "please do not write the whole name in capitals")
end
