-- SendQuotation: when a quotation was last emailed, and the messaging
-- module's message that carried it (no foreign key: another module's table).
ALTER TABLE orders.quotation
  ADD COLUMN sent_time timestamptz,
  ADD COLUMN sent_message_id bigint;
