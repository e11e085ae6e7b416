# A revision that changes the agent's own configuration file: the switch
# leaves the running agent alone (restartIfChanged = false), and
# berth-takeover must hand over to an agent started with the new file.
{
  environment.etc."fleet-revision".text = "takeover\n";
  services.berth.settings.log.level = "debug";
}
