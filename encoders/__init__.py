"""Model backends (OCR, speech, fusion), one module each, behind one Protocol a kind."""
