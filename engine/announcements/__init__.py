"""Announcements to key accounts (000 §二.5, §四.1.5: cutovers, upgrades, maintenance windows, tariff changes told
to customers by every channel): ``recipients`` fixes who gets the notice when it is drafted, ``batches`` queues it
in the outbox a batch per engine step at the chosen time, outside quiet hours, and reads each recipient's delivery."""
