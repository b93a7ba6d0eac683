"""<IfModule> judged against every LoadModule httpd reads, included files too.

Found at fa4e7bd: the loaded modules were read from the main config, mods-enabled/*.load and
conf.modules.d/*.conf only. Alpine's apache2-ssl (and any vendor's conf.d/ssl.conf) loads
mod_ssl in the included file itself, then opens ``<IfModule ssl_module>``: with mpm_event
loaded in httpd.conf the module list was "known" without ssl, the block was left out, and the
``Listen 443`` and ``SSLProtocol all`` in it vanished — a listener and a weak TLS setting the
device has. Expected, as an auditor reads that config: port 443 listens, SSLv3/TLSv1/TLSv1.1
are reported at conf.d/ssl.conf:4.
"""
from jcstar_agent.facts import daemons
from surface_testlib import make_ctx

FILES = {"/usr/sbin/httpd": "x",
         "/etc/httpd/conf/httpd.conf": "LoadModule mpm_event_module modules/mod_mpm_event.so\n"
                                       "Listen 80\nIncludeOptional conf.d/*.conf\n",
         "/etc/httpd/conf.d/ssl.conf": "LoadModule ssl_module modules/mod_ssl.so\n"
                                       "<IfModule ssl_module>\nListen 443 https\nSSLProtocol all\n"
                                       "</IfModule>\n<IfModule !ssl_module>\nListen 8080\n</IfModule>\n"}


def test_a_module_loaded_in_an_included_file_counts(trees):
    facts = daemons.read_daemon(make_ctx(trees(FILES)), ["/usr/sbin/httpd", "-DFOREGROUND"],
                                "httpd.service")
    assert sorted(x.port for x in facts.listeners) == [80, 443]
    weak = {w.message for w in facts.weaknesses if w.source == "/etc/httpd/conf.d/ssl.conf:4"}
    assert weak == {f"Apache SSLProtocol enables {p}" for p in ("SSLv3", "TLSv1", "TLSv1.1")}


def test_include_of_a_folder_reads_every_file_below_it(trees):
    # Found at dfe5184: "Include conf.d" (a folder: httpd reads every file in it and below) was
    # one unreadable "directory" error and the Listen 443 in conf.d/ssl.conf vanished.
    files = {"/usr/sbin/httpd": "x", "/etc/httpd/conf/httpd.conf": "Listen 80\nInclude conf.d\n",
             "/etc/httpd/conf.d/ssl.conf": "Listen 443 https\n", "/etc/httpd/conf.d/vhosts/a.conf": "Listen 8443\n"}
    facts = daemons.read_daemon(make_ctx(trees(files)), ["/usr/sbin/httpd", "-DFOREGROUND"], "httpd.service")
    assert sorted(x.port for x in facts.listeners) == [80, 443, 8443] and not facts.errors, facts.errors


def test_the_config_httpd_is_started_with_is_the_one_read(trees):
    # Found at ca3e8dd: "httpd -f /opt/acme/httpd.conf" (a vendor's unit) was read as if started
    # without it — the stock /etc/httpd config's Listen 80 reported, the vendor's 8443 and its
    # SSLProtocol TLSv1 never seen. -d sets the ServerRoot relative paths start from (Include
    # extra.conf is /etc/httpd/extra.conf without it, as httpd resolves it: not there).
    files = {"/usr/sbin/httpd": "x", "/etc/httpd/conf/httpd.conf": "Listen 80\n",
             "/opt/acme/httpd.conf": "Listen 8443 https\nSSLProtocol TLSv1\nInclude extra.conf\n",
             "/opt/acme/extra.conf": "Listen 9000\n"}
    ctx = make_ctx(trees(files))
    for argv, ports in ((["/usr/sbin/httpd", "-DFOREGROUND", "-f", "/opt/acme/httpd.conf"], [8443]),
                        (["/usr/sbin/httpd", "-d", "/opt/acme", "-f", "httpd.conf", "-k", "start"], [8443, 9000])):
        facts = daemons.read_daemon(ctx, argv, "acme-web.service")
        assert sorted(x.port for x in facts.listeners) == ports, argv
        assert [w.source for w in facts.weaknesses] == ["/opt/acme/httpd.conf:2"], argv


def test_include_of_a_folder_follows_symlinked_files(trees):
    # Found at fc79e5b (the folder walk took regular files only): "Include sites-enabled" with
    # Debian's symlinks into sites-available read none of them; httpd follows them.
    files = {"/usr/sbin/httpd": "x", "/etc/httpd/conf/httpd.conf": "Listen 80\nInclude sites-enabled\n",
             "/etc/httpd/sites-available/shop.conf": "Listen 8443 https\n",
             "/etc/httpd/sites-enabled/shop.conf": ("symlink", "../sites-available/shop.conf"),
             "/etc/httpd/sites-enabled/loop": ("symlink", "../sites-enabled")}  # bounded, not endless
    facts = daemons.read_daemon(make_ctx(trees(files)), ["/usr/sbin/httpd", "-DFOREGROUND"], "httpd.service")
    assert sorted(x.port for x in facts.listeners) == [80, 8443]  # once each, loop or not
