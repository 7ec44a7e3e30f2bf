-- Trigger: opportunity, after_update (the sales module's objects).
-- A workflow: when an opportunity is won, create an onboarding task for its
-- owner. ev.old is the record before the change, ev.new the saved fields.
local ev = ...

local was = ev.old and ev.old.fields.stage
if ev.new.stage == "Closed Won" and was ~= "Closed Won" then
  local task = crm.create("task", {
    subject = "Onboard " .. (ev.new.name or "the new customer"),
    related_to = ev.id,
    due_date = os.date("!%Y-%m-%d", os.time() + 7 * 24 * 3600),
  })
  -- The task is created by the acting user; hand it to the opportunity's owner.
  if ev.record and ev.record.owner_id and task.owner_id ~= ev.record.owner_id then
    crm.enqueue("assign.owner", {object = "task", id = task.id, owner_id = ev.record.owner_id})
  end
  crm.log("onboarding task", task.id, "for", ev.id)
end
