-- Refunds and offsets of a credit note's credit (docs/invoicing.md,
-- "Refunds and offsets"). A credit note worth more than was open on its
-- original leaves the buyer's credit open on it as a negative amount;
-- RecordRefund records that the seller paid it back, RecordOffset that it
-- was set off against another open invoice of the buyer.

-- A row of payment is money the buyer paid (payment), money paid back to
-- the buyer (refund), or a credit note's credit set off against another
-- invoice of the buyer (offset, beszámítás: invoice_id the invoice it
-- settles, credit_note_id the credit note; no money moves, so no method).
-- The amount is positive in each.
ALTER TABLE payment
  ADD COLUMN kind text NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'refund', 'offset')),
  ADD COLUMN credit_note_id bigint REFERENCES invoice (id),
  ALTER COLUMN method DROP NOT NULL,
  ADD CHECK ((kind = 'offset') = (credit_note_id IS NOT NULL)),
  ADD CHECK ((kind = 'offset') = (method IS NULL));
CREATE INDEX payment_credit_note ON payment (credit_note_id, id) WHERE credit_note_id IS NOT NULL;

-- An offset counts on both invoices as credit (credited_minor), as a
-- credit note taking its amount off its original does: up on the invoice
-- it settles, down (further below zero) on the credit note.

-- A refund counts on its credit note as a negative payment: paid_minor
-- goes below zero by what was paid back, so what is open (gross - paid -
-- credited) climbs towards zero and the formula stays the same everywhere.
-- Only an invoice with a negative gross (a credit note's credit) may have
-- a negative paid_minor, and never more paid back than its credit.
ALTER TABLE invoice
  DROP CONSTRAINT invoice_paid_minor_check,
  ADD CHECK (paid_minor >= 0 OR gross_minor < 0),
  ADD CHECK (gross_minor >= 0 OR (paid_minor <= 0 AND paid_minor + credited_minor >= gross_minor));
