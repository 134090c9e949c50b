"""The local runtime: Nurture's handlers and state machines on one machine, no AWS account.

moto emulates the AWS APIs in-process, `nurture_local.sfn` runs the state machines on a virtual clock
and time-machine makes every handler see that same virtual time.
"""
