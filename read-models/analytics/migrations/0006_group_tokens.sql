-- The sink writes the batches of several partitions as one group (one INSERT per fact table): each position
-- row names the deduplication token of the group it was written in, so an interrupted group is written
-- again with the same token and the same ranges. Empty on rows from before groups: their token was the
-- range's name, `<topic>:<partition>:<first>-<next>`.
ALTER TABLE {{database}}.sink_offsets ADD COLUMN IF NOT EXISTS batch_token String DEFAULT '';
