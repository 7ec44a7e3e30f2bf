-- Trigger: account, before_create.
-- Defaults and derived fields: an account without an industry gets "Other",
-- and a website typed without its scheme gets https:// in front.
local ev = ...
local a = ev.new

a.industry = a.industry or "Other"
if a.website and not a.website:find("^https?://") then
  a.website = "https://" .. a.website
end
