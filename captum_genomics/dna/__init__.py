"""DNA in and out: alphabet, one-hot codecs and layouts, FASTA regions, annotations, shuffles."""
