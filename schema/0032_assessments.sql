-- 0032_assessments.sql: the self-assessment on the five basic principles:
-- a questionnaire kept as data and versioned (staff publish a new version;
-- this migration seeds the first), and the assessments organisations make.
--
-- A questionnaire's content is
--   {"principles": [{"principle": 1..5, "title": {"nl", "en"},
--     "questions": [{"id", "text": {"nl", "en"},
--       "options": [{"id", "text": {"nl", "en"}, "score": 0..100}]}]}]}
-- with each principle once and question ids unique; the newest version is
-- the current one.  An assessment keeps its answers and the score per
-- principle they gave (the mean of the chosen options' scores, 0..100).
-- Answers are their organisation's alone; aggregates over them (a
-- community's benchmark, the agency's insights) describe at least five
-- organisations or nothing (schema/functions/20_access.sql).

CREATE TABLE questionnaires (
	version integer PRIMARY KEY CHECK (version >= 1),
	content jsonb NOT NULL,
	published_by uuid REFERENCES users (id) ON DELETE SET NULL,
	published_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assessments (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organisation_id uuid NOT NULL
		REFERENCES organisations (id) ON DELETE CASCADE,
	user_id uuid REFERENCES users (id) ON DELETE SET NULL,
	questionnaire_version integer NOT NULL
		REFERENCES questionnaires (version),
	-- [{"question_id", "option_id"}], in the questionnaire's order
	answers jsonb NOT NULL,
	-- the score of principle n at scores[n], 0..100
	scores smallint[] NOT NULL CHECK (cardinality(scores) = 5
		AND 0 <= ALL (scores) AND 100 >= ALL (scores)),
	lang text NOT NULL DEFAULT 'nl' CHECK (lang IN ('nl', 'en')),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assessments_org_idx
	ON assessments (organisation_id, created_at DESC, id DESC);
CREATE INDEX assessments_user_idx ON assessments (user_id);

INSERT INTO questionnaires (version, content) VALUES (1, $q$
{
 "principles": [
  {
   "principle": 1,
   "title": {
    "nl": "Breng risico's in kaart en maak back-ups",
    "en": "Map your risks and make back-ups"
   },
   "questions": [
    {
     "id": "p1-inventory",
     "text": {
      "nl": "Weet u welke gegevens en systemen uw bedrijf nodig heeft om te kunnen werken?",
      "en": "Do you know which data and systems your business needs to keep working?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee",
        "en": "No"
       },
       "score": 0
      },
      {
       "id": "partly",
       "text": {
        "nl": "Ongeveer, niet opgeschreven",
        "en": "Roughly, not written down"
       },
       "score": 50
      },
      {
       "id": "yes",
       "text": {
        "nl": "Ja, op een lijst die we bijhouden",
        "en": "Yes, on a list we keep up to date"
       },
       "score": 100
      }
     ]
    },
    {
     "id": "p1-backup",
     "text": {
      "nl": "Hoe maakt u back-ups van die gegevens?",
      "en": "How do you back up that data?"
     },
     "options": [
      {
       "id": "none",
       "text": {
        "nl": "Niet",
        "en": "We do not"
       },
       "score": 0
      },
      {
       "id": "manual",
       "text": {
        "nl": "Af en toe, met de hand",
        "en": "Now and then, by hand"
       },
       "score": 33
      },
      {
       "id": "auto",
       "text": {
        "nl": "Automatisch, elke dag",
        "en": "Automatically, every day"
       },
       "score": 67
      },
      {
       "id": "offline",
       "text": {
        "nl": "Automatisch, met een kopie offline of buiten het netwerk",
        "en": "Automatically, with a copy offline or off the network"
       },
       "score": 100
      }
     ]
    },
    {
     "id": "p1-restore",
     "text": {
      "nl": "Hebt u het afgelopen jaar een back-up teruggezet om te oefenen?",
      "en": "Have you restored a back-up in the past year, as a test?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee",
        "en": "No"
       },
       "score": 0
      },
      {
       "id": "yes",
       "text": {
        "nl": "Ja",
        "en": "Yes"
       },
       "score": 100
      }
     ]
    }
   ]
  },
  {
   "principle": 2,
   "title": {
    "nl": "Kies veilige instellingen",
    "en": "Choose safe settings"
   },
   "questions": [
    {
     "id": "p2-defaults",
     "text": {
      "nl": "Zijn de standaardwachtwoorden van routers, printers en andere apparaten veranderd?",
      "en": "Have the default passwords of routers, printers and other devices been changed?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee of weet ik niet",
        "en": "No, or I do not know"
       },
       "score": 0
      },
      {
       "id": "some",
       "text": {
        "nl": "Bij sommige",
        "en": "On some"
       },
       "score": 50
      },
      {
       "id": "all",
       "text": {
        "nl": "Bij alle",
        "en": "On all of them"
       },
       "score": 100
      }
     ]
    },
    {
     "id": "p2-mfa",
     "text": {
      "nl": "Gebruikt u tweestapsverificatie (MFA) voor e-mail en clouddiensten?",
      "en": "Do you use multi-factor authentication (MFA) for e-mail and cloud services?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee",
        "en": "No"
       },
       "score": 0
      },
      {
       "id": "some",
       "text": {
        "nl": "Voor sommige accounts",
        "en": "For some accounts"
       },
       "score": 50
      },
      {
       "id": "all",
       "text": {
        "nl": "Voor alle accounts",
        "en": "For every account"
       },
       "score": 100
      }
     ]
    },
    {
     "id": "p2-encryption",
     "text": {
      "nl": "Zijn laptops en telefoons versleuteld?",
      "en": "Are laptops and phones encrypted?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee of weet ik niet",
        "en": "No, or I do not know"
       },
       "score": 0
      },
      {
       "id": "some",
       "text": {
        "nl": "Sommige",
        "en": "Some"
       },
       "score": 50
      },
      {
       "id": "all",
       "text": {
        "nl": "Alle",
        "en": "All of them"
       },
       "score": 100
      }
     ]
    }
   ]
  },
  {
   "principle": 3,
   "title": {
    "nl": "Installeer updates",
    "en": "Install updates"
   },
   "questions": [
    {
     "id": "p3-automatic",
     "text": {
      "nl": "Worden updates van besturingssystemen en software automatisch geïnstalleerd?",
      "en": "Are updates of operating systems and software installed automatically?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee",
        "en": "No"
       },
       "score": 0
      },
      {
       "id": "some",
       "text": {
        "nl": "Op sommige apparaten",
        "en": "On some devices"
       },
       "score": 50
      },
      {
       "id": "all",
       "text": {
        "nl": "Op alle apparaten",
        "en": "On every device"
       },
       "score": 100
      }
     ]
    },
    {
     "id": "p3-network",
     "text": {
      "nl": "Werkt u ook de router, de firewall, de NAS en de website bij?",
      "en": "Do you also update the router, the firewall, the NAS and the website?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee of weet ik niet",
        "en": "No, or I do not know"
       },
       "score": 0
      },
      {
       "id": "sometimes",
       "text": {
        "nl": "Soms",
        "en": "Sometimes"
       },
       "score": 50
      },
      {
       "id": "regularly",
       "text": {
        "nl": "Ja, vast elke maand of sneller",
        "en": "Yes, every month or sooner"
       },
       "score": 100
      }
     ]
    },
    {
     "id": "p3-eol",
     "text": {
      "nl": "Gebruikt u software of apparaten die geen updates meer krijgen?",
      "en": "Do you use software or devices that no longer get updates?"
     },
     "options": [
      {
       "id": "yes",
       "text": {
        "nl": "Ja",
        "en": "Yes"
       },
       "score": 0
      },
      {
       "id": "unknown",
       "text": {
        "nl": "Weet ik niet",
        "en": "I do not know"
       },
       "score": 25
      },
      {
       "id": "no",
       "text": {
        "nl": "Nee",
        "en": "No"
       },
       "score": 100
      }
     ]
    }
   ]
  },
  {
   "principle": 4,
   "title": {
    "nl": "Beperk toegang",
    "en": "Limit access"
   },
   "questions": [
    {
     "id": "p4-own-accounts",
     "text": {
      "nl": "Heeft iedereen een eigen account, zonder gedeelde inloggegevens?",
      "en": "Does everyone have their own account, with no shared logins?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee",
        "en": "No"
       },
       "score": 0
      },
      {
       "id": "mostly",
       "text": {
        "nl": "Meestal",
        "en": "Mostly"
       },
       "score": 50
      },
      {
       "id": "yes",
       "text": {
        "nl": "Ja",
        "en": "Yes"
       },
       "score": 100
      }
     ]
    },
    {
     "id": "p4-admin",
     "text": {
      "nl": "Wie werkt er met beheerdersrechten?",
      "en": "Who works with administrator rights?"
     },
     "options": [
      {
       "id": "everyone",
       "text": {
        "nl": "Iedereen",
        "en": "Everyone"
       },
       "score": 0
      },
      {
       "id": "some",
       "text": {
        "nl": "Een paar mensen, ook voor gewoon werk",
        "en": "A few people, also for everyday work"
       },
       "score": 50
      },
      {
       "id": "separate",
       "text": {
        "nl": "Alleen beheerders, met een apart account",
        "en": "Only administrators, with a separate account"
       },
       "score": 100
      }
     ]
    },
    {
     "id": "p4-leavers",
     "text": {
      "nl": "Worden accounts verwijderd als iemand vertrekt?",
      "en": "Are accounts removed when someone leaves?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee of niet altijd",
        "en": "No, or not always"
       },
       "score": 0
      },
      {
       "id": "later",
       "text": {
        "nl": "Ja, na een tijdje",
        "en": "Yes, after a while"
       },
       "score": 50
      },
      {
       "id": "sameday",
       "text": {
        "nl": "Ja, op de dag van vertrek",
        "en": "Yes, on the day they leave"
       },
       "score": 100
      }
     ]
    }
   ]
  },
  {
   "principle": 5,
   "title": {
    "nl": "Voorkom virussen en malware",
    "en": "Prevent viruses and malware"
   },
   "questions": [
    {
     "id": "p5-protection",
     "text": {
      "nl": "Draait er actuele antivirus- of endpointbeveiliging op elke computer?",
      "en": "Does every computer run up-to-date antivirus or endpoint protection?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee of weet ik niet",
        "en": "No, or I do not know"
       },
       "score": 0
      },
      {
       "id": "some",
       "text": {
        "nl": "Op sommige",
        "en": "On some"
       },
       "score": 50
      },
      {
       "id": "all",
       "text": {
        "nl": "Op alle",
        "en": "On all of them"
       },
       "score": 100
      }
     ]
    },
    {
     "id": "p5-macros",
     "text": {
      "nl": "Worden macro's in documenten van internet geblokkeerd?",
      "en": "Are macros in documents from the internet blocked?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee of weet ik niet",
        "en": "No, or I do not know"
       },
       "score": 0
      },
      {
       "id": "yes",
       "text": {
        "nl": "Ja",
        "en": "Yes"
       },
       "score": 100
      }
     ]
    },
    {
     "id": "p5-phishing",
     "text": {
      "nl": "Weten uw mensen hoe ze phishing herkennen en melden?",
      "en": "Do your people know how to recognise and report phishing?"
     },
     "options": [
      {
       "id": "no",
       "text": {
        "nl": "Nee",
        "en": "No"
       },
       "score": 0
      },
      {
       "id": "once",
       "text": {
        "nl": "We hebben het er een keer over gehad",
        "en": "We talked about it once"
       },
       "score": 50
      },
      {
       "id": "regularly",
       "text": {
        "nl": "Ja, we oefenen en praten er geregeld over",
        "en": "Yes, we practise and talk about it regularly"
       },
       "score": 100
      }
     ]
    }
   ]
  }
 ]
}
$q$);
