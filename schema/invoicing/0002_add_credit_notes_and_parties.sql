-- Credit notes (docs/invoicing.md, "Credit notes") and the parties an
-- issued invoice keeps.

-- What the invoice is: an ordinary invoice, or a credit note correcting an
-- issued one (módosító or sztornó számla), numbered in the same series.
ALTER TABLE invoice
  ADD COLUMN kind text NOT NULL DEFAULT 'invoice'
    CHECK (kind IN ('invoice', 'modification', 'storno')),
  ADD COLUMN original_invoice_id bigint REFERENCES invoice (id),
  -- Why the credit note was made; printed on it.
  ADD COLUMN reason text NOT NULL DEFAULT '',
  -- The credit note's place among its original's credit notes (NAV
  -- modificationIndex), and how many lines the original and its earlier
  -- credit notes have (its lines continue NAV's lineNumberReference count
  -- from there). Set when issued.
  ADD COLUMN modification_index integer,
  ADD COLUMN line_number_offset integer NOT NULL DEFAULT 0,
  -- The part of the gross that credit notes settled: on an invoice, what
  -- credit notes took off what was open (positive); on a credit note with a
  -- negative gross, the part of it so used (negative). What is open is
  -- gross - paid - credited.
  ADD COLUMN credited_minor bigint NOT NULL DEFAULT 0,
  -- The seller and the buyer as issued (karton.invoicing.v1.InvoiceParty in
  -- protobuf's JSON mapping); NULL on a draft.
  ADD COLUMN seller jsonb,
  ADD COLUMN buyer jsonb,
  -- The due date invoicing.invoice.overdue was published for, so the
  -- overdue job, run again, publishes it once.
  ADD COLUMN overdue_notice_date date,
  ADD CHECK ((kind = 'invoice') = (original_invoice_id IS NULL)),
  ADD CHECK (gross_minor < 0 OR paid_minor + credited_minor <= gross_minor),
  ADD CHECK (gross_minor >= 0 OR (credited_minor <= 0 AND credited_minor >= gross_minor));

CREATE INDEX invoice_original ON invoice (original_invoice_id) WHERE original_invoice_id IS NOT NULL;
CREATE UNIQUE INDEX invoice_modification_index ON invoice (original_invoice_id, modification_index)
  WHERE modification_index IS NOT NULL;
-- One storno per invoice, drafts included.
CREATE UNIQUE INDEX invoice_one_storno ON invoice (original_invoice_id) WHERE kind = 'storno';
