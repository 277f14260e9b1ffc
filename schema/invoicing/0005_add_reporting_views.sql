-- The invoicing module's reporting contract (docs/invoicing.md, "Reporting
-- views"): read-only views in the schema invoicing_reporting that the
-- reports module (and an installation's own SQL reports) reads instead of
-- invoicing's tables. Like a v1 proto the views only grow: a later
-- migration may add columns at the end (CREATE OR REPLACE VIEW), never
-- rename, drop or change the meaning of one. Visibility is not applied
-- here.
CREATE SCHEMA invoicing_reporting;

-- One row per invoice and credit note, drafts included (state says which).
-- Money in minor units of currency_code; a credit note's gross is negative.
-- What is open is gross - paid - credited (docs/invoicing.md, "Refunds and
-- offsets"): paid is what the buyer paid (less what was paid back), credited
-- what credit notes and offsets settled without money.
CREATE VIEW invoicing_reporting.invoice AS
SELECT i.id,
       i.number,                                   -- NULL on a draft
       i.kind,                                     -- 'invoice', 'modification' or 'storno'
       i.original_invoice_id,                      -- a credit note's original; NULL on an invoice
       i.state,                                    -- 'draft' or 'issued'
       i.partner_id,
       i.order_id,                                 -- the sales order it bills; NULL if none
       i.currency_code,                            -- 'HUF' or 'EUR'
       i.issue_date,                               -- in invoicing.time_zone; NULL on a draft
       i.fulfillment_date,
       i.due_date,
       i.paid_date,                                -- when nothing was left open; NULL while open
       i.net_minor,
       i.vat_minor,
       i.gross_minor,
       i.paid_minor,
       i.credited_minor,
       i.gross_minor - i.paid_minor - i.credited_minor AS open_minor,
       i.create_time
FROM invoicing.invoice i;

-- One row per payment, refund and offset (docs/invoicing.md, "Payments and
-- balances"), with its invoice's partner and currency. The amount is
-- positive in each; kind tells money paid (payment), money paid back
-- (refund) and a credit set off (offset) apart.
CREATE VIEW invoicing_reporting.payment AS
SELECT p.id,
       p.invoice_id,                               -- the invoice it settles (a refund: the credit note)
       i.partner_id,
       p.kind,                                     -- 'payment', 'refund' or 'offset'
       p.amount_minor,
       i.currency_code,
       p.method,                                   -- 'transfer', 'cash', 'card'; NULL on an offset
       p.paid_on,
       p.credit_note_id,                           -- an offset's credit note; NULL otherwise
       p.create_time
FROM invoicing.payment p
JOIN invoicing.invoice i ON i.id = p.invoice_id;
