import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// waitFor/findBy time out only to catch a hang: CI shares its cores, and a compile or a render
// that takes 50 ms alone can take seconds under load
configure({ asyncUtilTimeout: 30_000 });

afterEach(() => cleanup());
