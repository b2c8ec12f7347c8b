-- 0031_articles.sql: knowledge articles, the agency's public content
-- (prevent / recognise / respond), versioned, in Dutch and English; and
-- the five basic principles as the first five articles in each language.
--
-- An article is public once published; a draft is the agency's alone
-- (schema/functions/20_access.sql).  Every edit that changes something
-- makes a new version and keeps the one before in article_versions.  Its
-- search vector is the posts' (isacd_search_vector: English and Dutch
-- stems), written by the functions that write articles; the articles
-- seeded here have none until their first edit, and the search computes
-- theirs when it meets them (a migration cannot call the functions, which
-- are applied after it).

CREATE TABLE articles (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	slug text NOT NULL CHECK (length(slug) BETWEEN 1 AND 100
		AND slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
	lang text NOT NULL CHECK (lang IN ('nl', 'en')),
	title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
	summary text NOT NULL CHECK (length(summary) BETWEEN 1 AND 1000),
	body text NOT NULL CHECK (octet_length(body) BETWEEN 1 AND 65536),
	category text NOT NULL
		CHECK (category IN ('prevent', 'recognise', 'respond')),
	principles integer[] NOT NULL DEFAULT '{}'
		CHECK (principles <@ ARRAY[1, 2, 3, 4, 5]),
	tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
	status text NOT NULL DEFAULT 'draft'
		CHECK (status IN ('draft', 'published')),
	-- the same article in the other language
	translation text,
	version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
	search tsvector,
	created_by uuid REFERENCES users (id) ON DELETE SET NULL,
	updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	published_at timestamptz
);
CREATE UNIQUE INDEX articles_slug_key ON articles (slug);
CREATE INDEX articles_created_idx ON articles (created_at DESC, id DESC);
CREATE INDEX articles_search_idx ON articles USING gin (search);
ALTER TABLE articles ADD CONSTRAINT articles_translation_fkey
	FOREIGN KEY (translation) REFERENCES articles (slug) ON DELETE SET NULL;

CREATE TABLE article_versions (
	article_id uuid NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
	version integer NOT NULL,
	lang text NOT NULL,
	title text NOT NULL,
	summary text NOT NULL,
	body text NOT NULL,
	category text NOT NULL,
	principles integer[] NOT NULL,
	tags text[] NOT NULL,
	status text NOT NULL,
	translation text,
	edited_by uuid REFERENCES users (id) ON DELETE SET NULL,
	edited_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (article_id, version)
);

-- ---- the five basic principles ----------------------------------------------

CREATE TEMP TABLE principle_articles (
	n integer, lang text, slug text, title text, summary text, body text,
	tags text[]
) ON COMMIT DROP;

INSERT INTO principle_articles VALUES
(1, 'en', 'map-your-risks-and-make-back-ups',
'Principle 1: map your risks and make back-ups',
'Know what your business cannot do without, and make sure you can get it back.',
$md$Start by writing down what your business cannot work without: customer
and order data, the accounts, the website, the e-mail, the machines in the
workshop.  For each, ask two questions: *what happens if it is gone for a
week?* and *what happens if a stranger reads it?*  The answers tell you
where to spend your time first.

## Make back-ups that survive an attack

- Follow the **3-2-1 rule**: three copies of your data, on two different
  kinds of storage, one of them away from the office.
- Keep at least one copy **offline or immutable**: ransomware encrypts
  every drive and cloud folder it can reach, back-ups included.
- Back up automatically, every day, and check that it ran.
- **Test a restore** at least twice a year.  A back-up you have never
  restored is a hope, not a back-up.

## Keep the list alive

Review the list when something changes: a new supplier, a new system,
staff joining or leaving.  Note who to call when each system fails, and
keep that note on paper too.$md$,
ARRAY['back-up', 'risk', 'ransomware']),
(2, 'en', 'choose-safe-settings',
'Principle 2: choose safe settings',
'Devices and software often ship with settings that are convenient rather than safe. Change them.',
$md$New laptops, routers, printers, cameras and cloud services are set up to
work out of the box, not to be safe.  Take ten minutes for each when you
install it.

- **Change every default password**, on routers, NAS boxes, cameras and
  printers first.  Lists of default passwords are public.
- **Turn on multi-factor authentication** (MFA) for e-mail, the cloud,
  the bank and anything reachable from the internet.
- **Switch off what you do not use**: remote desktop open to the
  internet, old accounts, services and ports nobody needs.
- **Encrypt laptops and phones** (BitLocker, FileVault, the phone's own
  encryption) so that a lost device is only a lost device.
- Let **screens lock** after a few minutes.
- Keep the **firewall on** and allow only what is needed.

Write down what you changed, so that a replacement device gets the same
settings.$md$,
ARRAY['configuration', 'mfa', 'passwords']),
(3, 'en', 'install-updates',
'Principle 3: install updates',
'Most attacks use weaknesses for which an update already exists. Install updates quickly.',
$md$Attackers scan the internet for systems that miss a known update, often
within days of its release.  Updating is the cheapest protection there is.

- **Turn on automatic updates** for operating systems, browsers and
  office software.
- Do not forget what is easy to forget: the **router, the firewall, the
  NAS, the website and its plug-ins**, phones and tablets.
- Install **critical security updates within days**; when an advisory
  names something you use, check it the same day.
- **Replace software and devices that no longer get updates** (end of
  support).  They stay vulnerable forever.
- Keep a short list of what you run and who updates it, so that nothing
  falls between two chairs.

If an update cannot be installed yet, take the measures the advisory
names (switch a feature off, block a port) until it can.$md$,
ARRAY['updates', 'patching', 'vulnerabilities']),
(4, 'en', 'limit-access',
'Principle 4: limit access',
'Give people access to what they need for their work, and no more.',
$md$The fewer accounts that can reach your important data, the less an
attacker gains from one stolen password.

- Give every person **their own account**; never share logins.
- Use **administrator rights** only for administration, with a separate
  account, and not for e-mail or browsing.
- Give access to data and systems **per role**, and only what the work
  needs.
- **Remove accounts the day someone leaves**, including those of
  suppliers and temporary staff.
- Use **strong, unique passwords** with a password manager, and MFA
  wherever it is offered.
- **Review access twice a year**: who can still reach what, and why?

Remote access for suppliers should be switched on when it is needed and
off again afterwards.$md$,
ARRAY['access', 'accounts', 'mfa']),
(5, 'en', 'prevent-viruses-and-malware',
'Principle 5: prevent viruses and malware',
'Stop malicious software before it runs, and make sure your people recognise the bait.',
$md$Most malware arrives by e-mail, through a download or on a USB stick.

- Use **up-to-date antivirus or endpoint protection** on every computer
  and server, and act on its warnings.
- **Block macros** in office documents from the internet.
- Let the mail filter **hold dangerous attachments** (executables,
  scripts, archives with a password).
- Install software only from **trusted sources**, and only with an
  administrator account used for that alone.
- **Teach everyone to recognise phishing**: unexpected attachments,
  urgency, a sender that is almost right, a link that goes elsewhere.
  Make reporting a suspicious mail easy and thank people for it.
- When in doubt, **disconnect the device** from the network and call for
  help; do not switch it off.

Together with back-ups (principle 1) this turns ransomware from a
disaster into an inconvenience.$md$,
ARRAY['malware', 'phishing', 'ransomware']),
(1, 'nl', 'breng-risicos-in-kaart-en-maak-back-ups',
'Basisprincipe 1: breng risico''s in kaart en maak back-ups',
'Weet waar uw bedrijf niet zonder kan, en zorg dat u het terug kunt halen.',
$md$Schrijf eerst op waar uw bedrijf niet zonder kan: klant- en ordergegevens,
de boekhouding, de website, de e-mail, de machines in de werkplaats.  Stel
bij elk twee vragen: *wat gebeurt er als het een week weg is?* en *wat
gebeurt er als een buitenstaander het leest?*  De antwoorden laten zien
waar u het eerst tijd aan besteedt.

## Maak back-ups die een aanval overleven

- Volg de **3-2-1-regel**: drie kopieën van uw gegevens, op twee soorten
  opslag, waarvan één buiten het kantoor.
- Houd minstens één kopie **offline of onveranderbaar**: ransomware
  versleutelt elke schijf en cloudmap die het bereikt, back-ups ook.
- Maak automatisch elke dag een back-up en controleer of die gelukt is.
- **Oefen het terugzetten** minstens twee keer per jaar.  Een back-up die
  u nooit hebt teruggezet is een hoop, geen back-up.

## Houd de lijst bij

Kijk de lijst opnieuw na als er iets verandert: een nieuwe leverancier,
een nieuw systeem, mensen die komen of gaan.  Noteer wie u belt als een
systeem uitvalt, en bewaar die notitie ook op papier.$md$,
ARRAY['back-up', 'risico', 'ransomware']),
(2, 'nl', 'kies-veilige-instellingen',
'Basisprincipe 2: kies veilige instellingen',
'Apparaten en software komen vaak met instellingen die handig zijn, niet veilig. Pas ze aan.',
$md$Nieuwe laptops, routers, printers, camera's en clouddiensten zijn zo
ingesteld dat ze meteen werken, niet dat ze veilig zijn.  Neem bij de
installatie voor elk tien minuten.

- **Verander elk standaardwachtwoord**, eerst op routers, NAS-en,
  camera's en printers.  Lijsten met standaardwachtwoorden zijn openbaar.
- **Zet tweestapsverificatie aan** (MFA) voor e-mail, de cloud, de bank en
  alles wat vanaf internet bereikbaar is.
- **Zet uit wat u niet gebruikt**: extern bureaublad open naar internet,
  oude accounts, diensten en poorten die niemand nodig heeft.
- **Versleutel laptops en telefoons** (BitLocker, FileVault, de
  versleuteling van de telefoon), zodat een verloren apparaat alleen een
  verloren apparaat is.
- Laat **schermen vergrendelen** na een paar minuten.
- Laat de **firewall aan** en sta alleen toe wat nodig is.

Schrijf op wat u hebt aangepast, zodat een vervangend apparaat dezelfde
instellingen krijgt.$md$,
ARRAY['instellingen', 'mfa', 'wachtwoorden']),
(3, 'nl', 'installeer-updates',
'Basisprincipe 3: installeer updates',
'De meeste aanvallen misbruiken zwakheden waarvoor al een update bestaat. Installeer updates snel.',
$md$Aanvallers zoeken op internet naar systemen die een bekende update missen,
vaak binnen enkele dagen nadat die uitkwam.  Updaten is de goedkoopste
bescherming die er is.

- **Zet automatische updates aan** voor besturingssystemen, browsers en
  kantoorsoftware.
- Vergeet niet wat makkelijk vergeten wordt: de **router, de firewall, de
  NAS, de website en de plug-ins ervan**, telefoons en tablets.
- Installeer **kritieke beveiligingsupdates binnen enkele dagen**; noemt
  een beveiligingsadvies iets wat u gebruikt, kijk het dan dezelfde dag na.
- **Vervang software en apparaten die geen updates meer krijgen** (einde
  ondersteuning).  Die blijven voorgoed kwetsbaar.
- Houd een korte lijst bij van wat u gebruikt en wie het bijwerkt, zodat
  niets tussen wal en schip valt.

Kan een update nog niet worden geïnstalleerd, neem dan de maatregelen uit
het advies (een functie uitzetten, een poort dichtzetten) tot het wel
kan.$md$,
ARRAY['updates', 'patchen', 'kwetsbaarheden']),
(4, 'nl', 'beperk-toegang',
'Basisprincipe 4: beperk toegang',
'Geef mensen toegang tot wat ze voor hun werk nodig hebben, en niet meer.',
$md$Hoe minder accounts bij uw belangrijke gegevens kunnen, hoe minder een
aanvaller wint met één gestolen wachtwoord.

- Geef iedereen **een eigen account**; deel nooit inloggegevens.
- Gebruik **beheerdersrechten** alleen voor beheer, met een apart account,
  en niet voor e-mail of internetten.
- Geef toegang tot gegevens en systemen **per rol**, en alleen wat het
  werk vraagt.
- **Verwijder accounts op de dag dat iemand vertrekt**, ook die van
  leveranciers en tijdelijke krachten.
- Gebruik **sterke, unieke wachtwoorden** met een wachtwoordmanager, en
  MFA overal waar dat kan.
- **Controleer twee keer per jaar** wie nog waar bij kan, en waarom.

Zet toegang op afstand voor leveranciers aan als die nodig is, en daarna
weer uit.$md$,
ARRAY['toegang', 'accounts', 'mfa']),
(5, 'nl', 'voorkom-virussen-en-malware',
'Basisprincipe 5: voorkom virussen en malware',
'Houd kwaadaardige software tegen voordat die draait, en zorg dat uw mensen het aas herkennen.',
$md$De meeste malware komt binnen via e-mail, een download of een USB-stick.

- Gebruik **actuele antivirus- of endpointbeveiliging** op elke computer
  en server, en doe iets met de waarschuwingen.
- **Blokkeer macro's** in kantoordocumenten van internet.
- Laat het mailfilter **gevaarlijke bijlagen tegenhouden** (programma's,
  scripts, archieven met een wachtwoord).
- Installeer software alleen uit **betrouwbare bronnen**, en alleen met
  een beheerdersaccount dat alleen daarvoor dient.
- **Leer iedereen phishing herkennen**: onverwachte bijlagen, haast, een
  afzender die bijna klopt, een link die ergens anders heen gaat.  Maak
  het melden van een verdachte mail makkelijk en bedank mensen ervoor.
- **Koppel bij twijfel het apparaat los** van het netwerk en vraag hulp;
  zet het niet uit.

Samen met back-ups (basisprincipe 1) maakt dit van ransomware geen ramp
maar een ongemak.$md$,
ARRAY['malware', 'phishing', 'ransomware']);

-- the five in each language, oldest first in the order of the principles
INSERT INTO articles (slug, lang, title, summary, body, category, principles,
	tags, status, created_at, updated_at, published_at)
SELECT x.slug, x.lang, x.title, x.summary, x.body, 'prevent', ARRAY[x.n],
	x.tags, 'published', t.at, t.at, t.at
FROM principle_articles x
CROSS JOIN LATERAL (SELECT now() - make_interval(secs => 10 - x.n
	- CASE x.lang WHEN 'nl' THEN 0.5 ELSE 0 END) AS at) t;

UPDATE articles a SET translation = o.slug
FROM principle_articles x
JOIN principle_articles y ON y.n = x.n AND y.lang <> x.lang
JOIN articles o ON o.slug = y.slug
WHERE a.slug = x.slug;
