-- The heading or lead-in line of the list a figure's line belongs to (extract/segment.py
-- `lead_ins`): "Ruhe: 41 %" under "Warum Beschäftigte gern von zu Hause arbeiten:" is a
-- reason for working from home, the same word under "Was dagegen spricht:" a reason
-- against. `lead_in` is that line's text as decoded, `lead_in_seg` its segment; both NULL
-- for a figure outside a list. A list written inline after a colon ("Als Gründe nannten
-- die Befragten: Zeitmangel (52 %), Kosten (17 %) ...") has its sentence up to the colon,
-- and `lead_in_seg` is the figure's own segment. The linker reads the lead-in's words with
-- the claim.
ALTER TABLE observations ADD COLUMN lead_in VARCHAR;
ALTER TABLE observations ADD COLUMN lead_in_seg INTEGER;
