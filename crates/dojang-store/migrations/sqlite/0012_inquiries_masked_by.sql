-- Which version of the RRN mask (dojang_store::MASK_VERSION, the rules of mask_rrns) an
-- inquiry's text has been through. When the mask learns a spelling it used to miss, the center
-- masks again, on opening, every inquiry masked by an older one (Store::remask_inquiries), so
-- that what was stored before the change loses its RRNs too. Rows already here count as 0:
-- their name and staff note were never masked, and their other text only by the first rules.
ALTER TABLE inquiries ADD COLUMN masked_by INTEGER NOT NULL DEFAULT 0;
CREATE INDEX inquiries_masked_by ON inquiries (masked_by);
