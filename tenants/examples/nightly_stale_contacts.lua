-- Scheduled: cron "0 2 * * *" (every night at 02:00 UTC).
-- Finds contacts without an e-mail address and queues one reminder job for
-- the team, with the first hundred of them.
local tick = ...

local missing = crm.query("contact", {field = "email", op = "is_null", value = true},
                          {limit = 100, sort = "last_name"})
if #missing > 0 then
  local ids = {}
  for i, c in ipairs(missing) do ids[i] = c.id end
  crm.enqueue("email.digest", {subject = "Contacts without an e-mail address", ids = ids})
end
crm.log("minute", tick.minute, "contacts without e-mail:", #missing)
