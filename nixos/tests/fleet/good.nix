# A revision that applies: it only changes a file in /etc.
{ environment.etc."fleet-revision".text = "good\n"; }
