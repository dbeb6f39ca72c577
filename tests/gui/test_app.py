#!/usr/bin/python3
"""The desktop app as a person uses it, headless (tests/gui/gui_session.py):
set up an address, take calls from the notification and from the window,
see the path of a call, find it in the history, use the tray menu.

One scenario per meson test: python3 test_app.py TestApp.test_NAME.
"""
import os
import re
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gui_session  # noqa: E402
from gui_session import GuiSession  # noqa: E402

SPEECH = os.environ.get("EARSHOT_SPEECH_WAV")
CLI = os.environ.get("EARSHOT_CLI")
# "Relay · IPv4 · 24 ms · 0 % loss · Good quality": the path indicator.
PATH = re.compile(r"^(Relay|Direct) · IPv[46] · \d+ ms")


class TestApp(unittest.TestCase):
    def session(self, name, pipewire=True):
        try:
            session = GuiSession(name, pipewire=pipewire)
            session.start()
        except gui_session.Skip as reason:
            self.skipTest(str(reason))
        self.addCleanup(session.close)
        return session

    def app_with_identity(self, session, *args, name="app"):
        """An app whose address exists already (made the way the CLI makes it)."""
        home, fingerprint = session.identity(name)
        relay = self.relay
        session.start_app(home, "--relay", relay.spec, *args)
        return home, fingerprint

    def wait_online(self, session, watcher):
        """The tray says calls ring here: the app registered with the relay."""
        def online():
            if not watcher.items:
                return False
            tooltip = session.gdbus("--dest", watcher.items[0].split("/")[0],
                                    "--object-path", "/StatusNotifierItem",
                                    "--method", "org.freedesktop.DBus.Properties.Get",
                                    "org.kde.StatusNotifierItem", "ToolTip")
            return "Online" in tooltip
        session.wait_until(online, "the tray to say Online")

    # ---- onboarding --------------------------------------------------------------

    def test_onboarding_creates_identity(self):
        session = self.session("onboarding", pipewire=False)
        relay = session.relay()
        home = session.lab.home("app")
        session.start_app(home, "--relay", relay.spec)

        session.find("label", name="Welcome to Earshot")
        session.window_screenshot("onboarding-welcome")
        session.click_button("Create a New Address")

        # The 24 words, as a person would copy them onto paper.
        session.find("label", contains="24. ")
        words = {}
        for label in session.find_all("label"):
            match = re.fullmatch(r"(\d+)\. (\w+)", session.node_name(label))
            if match:
                words[int(match.group(1))] = match.group(2)
        self.assertEqual(sorted(words), list(range(1, 25)))
        address_label = session.find("label", contains="Your new address: ")
        shown_address = session.node_name(address_label).split(": ", 1)[1]
        self.assertFalse(os.path.exists(os.path.join(home, "identity")),
                         "the identity must not be kept before its backup is checked")
        session.window_screenshot("onboarding-words")
        session.click_button("I Wrote Them Down")

        # Three of them typed back; Continue opens only when all are right.
        def word_entries():
            entries = [node for node in session.find_all("text")
                       if re.fullmatch(r"Word \d+", session.node_name(node))]
            return entries if len(entries) == 3 else None
        entries = session.wait_until(word_entries, "three words to type back")
        continue_button = session.find("push button", name="Continue")
        first = int(session.node_name(entries[0]).split()[1])
        session.type_into(entries[0], "wrong")
        for entry in entries[1:]:
            session.type_into(entry, words[int(session.node_name(entry).split()[1])])
        self.assertFalse(continue_button.get_state_set().contains(
            session.Atspi.StateType.SENSITIVE), "a wrong word must not pass")
        session.type_into(entries[0], words[first])
        session.wait_until(lambda: continue_button.get_state_set().contains(
            session.Atspi.StateType.SENSITIVE), "Continue to open")
        session.click(continue_button)

        name_entry = session.find("text", name="Your name")
        session.gone("label", name="Check Your Backup")    # the page has slid away
        session.type_into(name_entry, "Ada Lovelace")
        session.click(session.find("push button", name="Continue"))

        # The relay it was started with is shown, not asked for.
        session.find("list item", name="Relay chosen when Earshot was started")
        session.gone("label", name="What Is Your Name?")
        session.window_screenshot("onboarding-relay")
        session.click_button("Start Using Earshot")

        # The home page, and an identity file with the address shown before.
        session.find("push button", name="New call")
        session.wait_until(lambda: os.path.exists(os.path.join(home, "identity")),
                           "the identity file")
        show = subprocess.run([CLI, "identity", "show", "--json"], capture_output=True,
                              text=True, env=dict(session.env, EARSHOT_HOME=home), timeout=30)
        self.assertEqual(show.returncode, 0, show.stderr)
        self.assertIn(shown_address, show.stdout)
        self.assertEqual(os.stat(os.path.join(home, "identity")).st_mode & 0o777, 0o600)
        session.window_screenshot("contacts-empty")

    def test_restore_from_words(self):
        session = self.session("restore", pipewire=False)
        relay = session.relay()
        # The address to restore, and its 24 words as the person wrote them down.
        old_home, fingerprint = session.identity("old-computer")
        export = subprocess.run([CLI, "identity", "export-mnemonic"], capture_output=True,
                                text=True, env=dict(session.env, EARSHOT_HOME=old_home),
                                timeout=30)
        self.assertEqual(export.returncode, 0, export.stderr)
        words = export.stdout.split()
        self.assertEqual(len(words), 24)
        home = session.lab.home("app")
        session.start_app(home, "--relay", relay.spec)

        session.click_button("Restore From Backup Words")
        words_view = session.find("text", name="Backup words")
        # A misspelt word is named, and nothing is kept.
        wrong = list(words)
        wrong[6] = "notaword"
        session.type_into(words_view, " ".join(wrong))
        session.click_button("Restore")
        session.find("label", text_contains="word 7 (“notaword”)")
        self.assertFalse(os.path.exists(os.path.join(home, "identity")))
        session.window_screenshot("onboarding-restore-error")
        # Copied from paper: one word a line, capitals, extra spaces.
        session.type_into(words_view, "\n".join(word.capitalize() for word in words) + "  ")
        session.click_button("Restore")

        session.type_into(session.find("text", name="Your name"), "Ada")
        session.click(session.find("push button", name="Continue"))
        session.click_button("Start Using Earshot")
        session.find("push button", name="New call")
        session.wait_until(lambda: os.path.exists(os.path.join(home, "identity")),
                           "the identity file")
        show = subprocess.run([CLI, "identity", "show", "--json"], capture_output=True,
                              text=True, env=dict(session.env, EARSHOT_HOME=home), timeout=30)
        self.assertEqual(show.returncode, 0, show.stderr)
        self.assertIn(fingerprint, show.stdout, "the same address as on the old computer")

    # ---- calls ------------------------------------------------------------------------

    def long_speech(self, session):
        """The speech three times over: enough to talk through a whole scenario."""
        import wave
        path = session.path("speech-3x.wav")
        if not os.path.exists(path):
            with wave.open(SPEECH) as speech, wave.open(path, "wb") as out:
                out.setparams(speech.getparams())
                frames = speech.readframes(speech.getnframes())
                out.writeframes(frames * 3)
        return path

    def call_from_cli(self, session, fingerprint, name="caller"):
        home, caller = session.identity(name)
        args = ["--play", self.long_speech(session)] if SPEECH else []
        process = session.lab.client(name, home, self.relay.spec, "call", fingerprint, *args)
        return process, caller

    def record_speaker(self, session, caller):
        """Starts recording the app's speaker (the private PipeWire's default
        sink) while the caller's speech plays."""
        path = session.path("heard.wav")
        session.drain(caller)
        return path, session.pipewire.record_sink(gui_session.pipewire_session.SINK, path)

    def heard(self, session, caller, recording, seconds):
        """How many of the recorded samples are loud, and how many there are."""
        import array
        import wave
        path, recorder = recording
        for _ in range(seconds):            # by the caller's clock: a stats event a second
            session.cli_event(caller, "stats")
        session.pipewire.stop_recording(recorder)
        with wave.open(path) as heard:
            samples = array.array("h", heard.readframes(heard.getnframes()))
        return sum(1 for sample in samples if abs(sample) > 1000), len(samples)

    def assert_speaker_played(self, session, caller, recording, seconds=2):
        """The answered call is heard: what the caller plays came out of the
        app's speaker, not silence."""
        loud, count = self.heard(session, caller, recording, seconds)
        if loud <= count // 50:
            links = subprocess.run(["pw-link", "--links", "--id"], capture_output=True, text=True,
                                   env=session.pipewire.env, timeout=10).stdout
            # Whether the silence lasts or was a stretch of it, for whoever reads this.
            later = self.heard(session, caller, self.record_speaker(session, caller), 2)
            self.fail(f"the speaker stayed silent ({loud} of {count} samples; "
                      f"{later[0]} of {later[1]} loud in the 2 s after)\n"
                      f"PipeWire links:\n{links}\n{session.programs_report()}"
                      f"{session.app_log_text()}")

    def assert_ring_tone_heard(self, session):
        """The notification makes no sound of its own: the app rings on the
        speaker (one ring cadence is 3 s, recorded whole)."""
        import array
        import wave
        path = session.path("ring.wav")
        recorder = session.pipewire.record_sink(gui_session.pipewire_session.SINK, path)
        cadence = 44 + 2 * 48000 * 3.2
        session.wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > cadence,
                           "a whole ring cadence recorded")
        session.pipewire.stop_recording(recorder)
        with wave.open(path) as heard:
            samples = array.array("h", heard.readframes(heard.getnframes()))
        loud = sum(1 for sample in samples if abs(sample) > 1000)
        self.assertGreater(loud, len(samples) // 20, "the call rings without a sound")

    def open_recent_calls(self, session):
        session.click(session.find("page tab", name="Recent"))

    def test_call_rings_in_background_and_connects(self):
        session = self.session("background-call")
        notifications = session.notification_server()
        watcher = session.status_notifier_watcher()
        self.relay = session.relay()
        # Started at login: no window, in the tray, and calls still ring.
        home, fingerprint = self.app_with_identity(session, "--background")
        self.wait_online(session, watcher)
        self.assertEqual(session.find_all("frame"), [], "started in the background: no window")

        caller, caller_fingerprint = self.call_from_cli(session, fingerprint)
        session.cli_event(caller, "ringing")
        ringing = session.wait_until(
            lambda: notifications.find(lambda n: "is calling" in n["summary"]),
            "the incoming-call notification")
        self.assertIn(caller_fingerprint, ringing["summary"])
        self.assertEqual(ringing["hints"].get("urgency"), 2, "an incoming call is urgent")
        buttons = {label: key for label, key in ringing["actions"].items() if key != "default"}
        self.assertEqual(sorted(buttons), ["Answer", "Decline"])
        self.assert_ring_tone_heard(session)

        # Answer on the notification: the window comes up with the call.
        notifications.click(ringing, "Answer")
        session.cli_event(caller, "call-state", state="active")
        recording = self.record_speaker(session, caller) if SPEECH else None
        # Over the relay at first, direct once a path is verified: either way
        # the path is named, with its family and round trip.
        path = session.wait_until(lambda: [label for label in session.find_all("label")
                                           if PATH.match(session.node_text(label))],
                                  "the path of the call")[0]
        self.assertRegex(session.node_text(path), PATH)
        session.wait_until(lambda: ringing["id"] in notifications.closed,
                           "the ringing notification to go")
        session.find("label", name="Safety Words")
        session.window_screenshot("call")
        if recording is not None:
            self.assert_speaker_played(session, caller, recording)
            # A speaker chosen during the call takes the call's sound at once.
            session.click(session.find(name="Choose audio devices"))
            recording = self.record_speaker(session, caller)
            session.click(session.find("menu item", name=gui_session.pipewire_session.SINK))
            self.assert_speaker_played(session, caller, recording, seconds=4)

        session.click_button("Hang up")
        session.cli_event(caller, "call-state", state="ended", reason="hangup")
        self.assertEqual(caller.wait_exit(), 0, caller.stderr())

        # Back home, the call is in the recent calls.
        session.find("push button", name="New call")
        self.open_recent_calls(session)
        session.find("label", text_contains="Incoming call · 0:")
        session.window_screenshot("history")
        rows = gui_session.history_rows(home)
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual((rows[0]["peer"], rows[0]["outgoing"], rows[0]["answered"],
                          rows[0]["end_reason"]), (caller_fingerprint, 0, 1, "hangup"))

    def test_call_rings_as_sheet_when_focused(self):
        session = self.session("sheet-call")
        notifications = session.notification_server()
        watcher = session.status_notifier_watcher()
        self.relay = session.relay()
        home, fingerprint = self.app_with_identity(session)
        self.wait_online(session, watcher)
        session.find("push button", name="New call")

        # The window has the focus: the call rings as a sheet over it.
        caller, caller_fingerprint = self.call_from_cli(session, fingerprint)
        session.find("label", text_contains="Incoming Call")
        self.assertIsNone(notifications.find(lambda n: "is calling" in n["summary"]),
                          "no notification over a focused window")
        session.screenshot("incoming-sheet")
        session.click_button("Answer")
        session.cli_event(caller, "call-state", state="active")
        session.wait_until(lambda: [label for label in session.find_all("label")
                                    if PATH.match(session.node_text(label))],
                           "the path of the call")
        # The caller hangs up.
        caller.signal(2)
        session.cli_event(caller, "call-state", state="ended", reason="hangup")
        session.find("push button", name="New call")

        # A second call, declined from the sheet.
        second, _ = self.call_from_cli(session, fingerprint, name="second")
        session.find("label", text_contains="Incoming Call")
        session.click_button("Decline")
        session.cli_event(second, "call-state", state="ended", reason="declined")
        self.assertEqual(second.wait_exit(), 1)

        rows = gui_session.history_rows(home)
        self.assertEqual([(row["answered"], row["end_reason"]) for row in rows],
                         [(1, "hangup"), (0, "declined")])
        self.open_recent_calls(session)
        session.find("label", text_contains="Declined")
        session.find("label", text_contains="Incoming call · 0:")

    def test_outgoing_call_from_the_dialer(self):
        session = self.session("outgoing")
        watcher = session.status_notifier_watcher()
        self.relay = session.relay()
        home, _ = self.app_with_identity(session)
        self.wait_online(session, watcher)
        friend_home, friend = session.identity("friend")
        listener = session.lab.client("friend", friend_home, self.relay.spec, "listen",
                                      stdin=True)
        session.cli_event(listener, "registered")

        # Ringing, then cancelled before the friend answers.
        session.click_button("New call")
        session.type_into(session.find("text", name="Address or earshot: link"), friend)
        session.click_button("Call")
        incoming = session.cli_event(listener, "incoming")
        session.find("label", name="Ringing…")
        session.find("push button", name="Cancel call")
        session.window_screenshot("outgoing-ringing")
        session.click_button("Cancel call")
        session.cli_event(listener, "call-state", call_id=incoming["call_id"], state="ended",
                          reason="cancelled")
        session.find("push button", name="New call")

        # Again from a link someone shared (x-scheme-handler/earshot: the
        # desktop starts "earshot URI", which hands it to the running app),
        # answered this time, and hung up from the app.
        link = "earshot:" + friend.replace(":", "") + "?name=Grace%20Hopper"
        opened = subprocess.run([gui_session.APP, link], capture_output=True, text=True,
                                env=dict(session.env, EARSHOT_HOME=home), timeout=30)
        self.assertEqual(opened.returncode, 0, opened.stderr)
        session.find("label", text_contains="A link to “Grace Hopper”")
        session.click_button("Call")
        incoming = session.cli_event(listener, "incoming")
        listener.send_line(f"answer {incoming['call_id']}")
        session.cli_event(listener, "call-state", call_id=incoming["call_id"], state="active")
        session.wait_until(lambda: [label for label in session.find_all("label")
                                    if PATH.match(session.node_text(label))],
                           "the path of the call")
        session.click_button("Hang up")
        session.cli_event(listener, "call-state", call_id=incoming["call_id"], state="ended",
                          reason="hangup")

        rows = gui_session.history_rows(home)
        self.assertEqual([(row["peer"], row["outgoing"], row["answered"], row["end_reason"])
                          for row in rows],
                         [(friend, 1, 0, "cancelled"), (friend, 1, 1, "hangup")])
        session.find("push button", name="New call")
        self.open_recent_calls(session)
        session.find("label", text_contains="Outgoing call · 0:")
        session.find("label", text_contains="Not answered")

    def test_verify_a_contact_and_call_back(self):
        session = self.session("verify")
        watcher = session.status_notifier_watcher()
        self.relay = session.relay()
        home, _ = self.app_with_identity(session)
        self.wait_online(session, watcher)
        friend_home, friend = session.identity("friend")
        listener = session.lab.client("friend", friend_home, self.relay.spec, "listen",
                                      stdin=True)
        session.cli_event(listener, "registered")
        self.add_contact(session, "Grace", friend)

        # A call from the contact list; both ends read out the same safety words.
        session.click_button("Call Grace")
        incoming = session.cli_event(listener, "incoming")
        listener.send_line(f"answer {incoming['call_id']}")
        active = session.cli_event(listener, "call-state", call_id=incoming["call_id"],
                                   state="active")
        spoken = " · ".join(active["safety_words"].split())
        session.find("label", name=spoken)
        session.find("label", name="Grace")
        session.click_button("Mark as Verified")
        session.find("label", name="Verified")
        session.gone("push button", name="Mark as Verified")
        with sqlite3.connect(os.path.join(home, "contacts.db")) as db:
            self.assertEqual(db.execute("SELECT verified FROM contacts WHERE fingerprint = ?",
                                        (friend,)).fetchall(), [(1,)])
        session.click_button("Hang up")
        session.cli_event(listener, "call-state", call_id=incoming["call_id"], state="ended",
                          reason="hangup")

        # The contact list says so, and the recent call calls Grace again.
        session.find("image", name="Verified")
        self.open_recent_calls(session)
        session.click_button("Call back Grace")
        again = session.cli_event(listener, "incoming")
        self.assertNotEqual(again["call_id"], incoming["call_id"])
        session.find("label", name="Ringing…")
        session.click_button("Cancel call")
        session.cli_event(listener, "call-state", call_id=again["call_id"], state="ended",
                          reason="cancelled")
        rows = gui_session.history_rows(home)
        self.assertEqual([(row["peer"], row["outgoing"], row["end_reason"]) for row in rows],
                         [(friend, 1, "hangup"), (friend, 1, "cancelled")])

    # ---- the tray ------------------------------------------------------------------------

    def test_tray_item(self):
        session = self.session("tray")
        watcher = session.status_notifier_watcher()
        self.relay = session.relay()
        home, fingerprint = self.app_with_identity(session, "--background")
        item = session.wait_until(lambda: watcher.items and watcher.items[0],
                                  "the item to register with the watcher")
        self.assertEqual(item, f"org.kde.StatusNotifierItem-{session.app.pid}-1")
        self.wait_online(session, watcher)

        def item_call(*args):
            return session.gdbus("--dest", item, "--object-path", "/StatusNotifierItem",
                                 "--method", *args)

        def menu_call(*args):
            return session.gdbus("--dest", item, "--object-path", "/StatusNotifierMenu",
                                 "--method", *args)

        properties = item_call("org.freedesktop.DBus.Properties.GetAll",
                               "org.kde.StatusNotifierItem")
        for expected in ("'Id': <'io.github.earshot.Earshot'>", "'Category': <'Communications'>",
                         "'Status': <'Active'>", "'Menu': <objectpath '/StatusNotifierMenu'>",
                         "'IconName': <'io.github.earshot.Earshot-symbolic'>",
                         "Online: calls ring here"):
            self.assertIn(expected, properties)
        self.assertIn("(<uint32 3>,)", menu_call("org.freedesktop.DBus.Properties.Get",
                                               "com.canonical.dbusmenu", "Version"))
        layout = menu_call("com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]")
        labels = re.findall(r"'label': <'([^']*)'>", layout)
        self.assertEqual(labels, ["Online: calls ring here", "_Show Earshot", "_Do Not Disturb",
                                 "_Quit"])
        self.assertIn("'toggle-state': <0>", layout)

        # Do not disturb from the menu: calls are turned away, and missed.
        menu_call("com.canonical.dbusmenu.Event", "--", "4", "clicked", "<int32 0>", "0")
        session.wait_until(lambda: "'toggle-state': <1>" in menu_call(
            "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]"), "do not disturb on")
        caller, _ = self.call_from_cli(session, fingerprint)
        session.cli_event(caller, "call-state", state="ended", reason="busy")
        session.wait_until(lambda: gui_session.history_rows(home), "the missed call")
        self.assertEqual(gui_session.history_rows(home)[0]["end_reason"], "busy")

        # A panel that starts later (a new watcher) still gets the item.
        watcher.close()
        second = session.status_notifier_watcher()
        session.wait_until(lambda: item in second.items, "the item to register again")

        # Clicking the icon shows the window; Quit from the menu ends the app.
        item_call("org.kde.StatusNotifierItem.Activate", "0", "0")
        session.find("push button", name="New call")
        session.find("image", name="Do not disturb is on")
        menu_call("com.canonical.dbusmenu.Event", "--", "6", "clicked", "<int32 0>", "0")
        self.assertEqual(session.wait_app_exit(), 0, session.app_log_text())

    # ---- the views, narrow ---------------------------------------------------------------

    def app_action(self, session, action):
        """An app action, as GNOME Shell or a notification activates it."""
        session.gdbus("--dest", gui_session.APP_ID, "--object-path", "/io/github/earshot/Earshot",
                      "--method", "org.gtk.Actions.Activate", action, "[]", "{}")

    def add_contact(self, session, name, address):
        # The empty page's button, or the one beside the search.
        session.click(session.wait_until(
            lambda: (session.find_all("push button", name="Add Contact") or
                     session.find_all("push button", name="Add contact") or [None])[0],
            "an Add Contact button"))
        name_entry = session.find("text", name="Name")
        session.type_into(name_entry, name)
        session.type_into(session.find("text", name="Address or earshot: link"), address)
        session.click_button("Add")

    def test_views_at_360_pixels(self):
        session = self.session("narrow")
        watcher = session.status_notifier_watcher()
        self.relay = session.relay()
        session.set_setting("window-width", "360")
        session.set_setting("window-height", "720")
        _, alice = session.identity("alice")
        _, bob = session.identity("bob")
        _, alice_again = session.identity("alice-again")
        home, fingerprint = self.app_with_identity(session)
        self.wait_online(session, watcher)
        session.find("push button", name="New call")
        x, y, width, height = session.window_extents()
        self.assertLessEqual(width, 360 + 2 * 12, "the window keeps to 360 px (and its shadow)")

        # One's own address, as text and as a QR code.
        session.click_button("Share Your Address")
        session.find("label", name=fingerprint)
        session.find("image", name="QR code of your address")
        session.screenshot("address")
        session.click(session.find_all("push button", name="Close")[-1])
        session.gone("image", name="QR code of your address")

        # Contacts, by address and by earshot: link.
        self.add_contact(session, "Alice", alice)
        session.find("list item", contains="Alice")
        self.add_contact(session, "Bob", "earshot:" + bob.replace(":", ""))
        session.find("list item", contains="Bob")
        session.find("push button", name="Call Bob")
        # Alice again at a new address: a changed key is asked about, never merged.
        self.add_contact(session, "alice", alice_again)
        session.find("label", text_contains="Has Another Address")
        session.click_button("Replace Address")
        session.find("image", name="Key changed")
        session.window_screenshot("contacts")
        # Search, by name or by a piece of the address.
        search = session.find("entry", name="Search contacts")
        session.type_into(search, "bo")
        session.gone("list item", contains="Alice")
        session.find("list item", contains="Bob")
        session.type_into(search, bob.split(":")[1])
        session.find("list item", contains="Bob")
        session.type_into(search, "")
        session.find("list item", contains="Alice")

        self.app_action(session, "preferences")
        session.find("label", name="Do not disturb")
        session.screenshot("preferences")
        # Start at login: outside a sandbox, a plain XDG autostart file.
        autostart = os.path.join(session.env["XDG_CONFIG_HOME"], "autostart",
                                 gui_session.APP_ID + ".desktop")
        session.click(session.find("check box", name="Start at login"))
        session.wait_until(lambda: os.path.exists(autostart), "the autostart file")
        with open(autostart) as entry:
            self.assertRegex(entry.read(), r"(?m)^Exec=.*earshot'? --background$")
        session.click(session.find("check box", name="Start at login"))
        session.wait_until(lambda: not os.path.exists(autostart), "the autostart file to go")
        session.click(session.find_all("push button", name="Close")[-1])

        self.app_action(session, "diagnostics")
        session.click_button("Check Network")
        session.find("label", name="Your Connection", timeout=30)
        session.find("image", contains="Relay round-trip times")
        session.screenshot("diagnostics")
        # The last report is kept: a new diagnostics window shows it before any check.
        session.click(session.find_all("push button", name="Close")[-1])
        session.gone("label", name="Your Connection")
        self.app_action(session, "diagnostics")
        session.find("label", name="Your Connection")
        session.find("label", text_contains="Checked ")

    def test_dark_style(self):
        session = self.session("dark", pipewire=False)
        self.relay = session.relay()
        home, _ = session.identity("app")
        session.start_app(home, "--relay", self.relay.spec,
                          env_extra={"ADW_DEBUG_COLOR_SCHEME": "prefer-dark"})
        session.find("push button", name="New call")
        shot = session.window_screenshot("contacts-dark")
        mean = subprocess.run([gui_session.CONVERT, shot, "-colorspace", "gray", "-format", "%[fx:mean]",
                               "info:"], capture_output=True, text=True, check=True).stdout
        self.assertLess(float(mean), 0.4, "the dark style is dark")

        # The shortcuts window (Ctrl+?), through the window's exported action.
        session.gdbus("--dest", gui_session.APP_ID, "--object-path",
                      "/io/github/earshot/Earshot/window/1", "--method",
                      "org.gtk.Actions.Activate", "show-help-overlay", "[]", "{}")
        session.find("label", name="Answer the ringing call")
        session.find("label", name="Mute or unmute")
        session.screenshot("shortcuts")


if __name__ == "__main__":
    sys.exit(gui_session.run(TestApp, sys.argv))
