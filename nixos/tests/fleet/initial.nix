# The revision the hosts boot with, before the fleet repository has any.
{ environment.etc."fleet-revision".text = "initial\n"; }
